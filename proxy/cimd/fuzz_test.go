package cimd

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzIsURLClientID(f *testing.F) {
	for _, s := range []string{
		"https://app.example.com/client.json",
		"https://app.example.com:8443/c?v=1",
		"https://[2001:db8::1]/c",
		"https://app.example.com/",
		"https://app.example.com/a/%2e%2e/c",
		"https://user@app.example.com/c",
		"https://app.example.com/c#",
		"HTTPS://app.example.com/c",
		"https://app.example.com\\@evil/c",
		"https://exämple.com/c",
		"https:",
		"https://",
		"https://[",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !IsURLClientID(s) {
			return
		}
		// What Resolve and the fetch rely on, whatever the input.
		if len(s) > 2000 || !strings.HasPrefix(s, "https://") || strings.ContainsAny(s, "#\\ ") {
			t.Fatalf("IsURLClientID(%q) = true for a URL that breaks the rules", s)
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("IsURLClientID(%q) = true but url.Parse fails: %v", s, err)
		}
		if u.Hostname() == "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("IsURLClientID(%q) = true with host %q, user %v, fragment %q", s, u.Hostname(), u.User, u.Fragment)
		}
		if p := u.EscapedPath(); p == "" || p == "/" {
			t.Fatalf("IsURLClientID(%q) = true with root path %q", s, p)
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("IsURLClientID(%q) = true with a dot segment", s)
			}
		}
	})
}
