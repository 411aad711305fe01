package clientreg

import (
	"net/url"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"https://claude.ai/api/mcp/auth_callback",
	"cursor://anysphere.cursor-mcp/oauth/callback",
	"http://127.0.0.1:33418/",
	"http://127.0.0.1",
	"http://localhost:52123/",
	"http://localhost:9876/oauth/callback",
	"http://[::1]:8080/cb?x=1",
	"com.example.app:/cb",
	"claude://",
	"JAVASCRIPT:alert(1)",
	"data:text/html,x",
	"https://x.example/cb#",
	"https://good.example.com.evil.com/cb",
	"https://good.example.com@evil.com/cb",
	"http://evil@localhost:1/cb",
	"http://localhost:1/%63b",
	"http://[::1%25lo]/cb",
	"https://x%C3%A9.example/cb",
	"",
}

func FuzzValidateRedirectURI(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		loopback := IsLoopback(raw)
		for _, appType := range []string{"", ApplicationTypeWeb, ApplicationTypeNative} {
			err := ValidateRedirectURI(raw, appType)
			if loopback && err != nil {
				t.Fatalf("IsLoopback(%q) = true but ValidateRedirectURI(%q) = %v, want nil", raw, appType, err)
			}
			if err != nil {
				continue
			}
			if len(raw) > MaxURILength || strings.ContainsAny(raw, "# \\\t\r\n\x00") {
				t.Fatalf("ValidateRedirectURI(%q, %q) = nil, want an error", raw, appType)
			}
			u, perr := url.Parse(raw)
			if perr != nil {
				t.Fatalf("ValidateRedirectURI(%q, %q) = nil but url.Parse fails: %v", raw, appType, perr)
			}
			if blockedSchemes[u.Scheme] || u.User != nil {
				t.Fatalf("ValidateRedirectURI(%q, %q) = nil, want forbidden scheme or userinfo refused", raw, appType)
			}
			switch u.Scheme {
			case "http":
				if !loopback {
					t.Fatalf("ValidateRedirectURI(%q, %q) = nil for http, want loopback only", raw, appType)
				}
			case "https":
				if u.Host == "" {
					t.Fatalf("ValidateRedirectURI(%q, %q) = nil, want a host", raw, appType)
				}
			default:
				if appType == ApplicationTypeWeb {
					t.Fatalf("ValidateRedirectURI(%q, web) = nil, want custom scheme refused", raw)
				}
			}
		}
	})
}

func FuzzMatchRedirectURI(f *testing.F) {
	for _, reg := range fuzzSeeds {
		for _, req := range fuzzSeeds[:8] {
			f.Add(reg, req)
		}
	}
	f.Add("http://localhost/cb", "http://localhost:2/cb/")
	f.Add("http://localhost:1/cb?a", "http://localhost:2/cb?a")
	f.Fuzz(func(t *testing.T, registered, requested string) {
		got, ok := MatchRedirectURI([]string{registered}, requested)
		if !ok {
			if got != "" {
				t.Fatalf("MatchRedirectURI(%q, %q) = %q, false; want empty string", registered, requested, got)
			}
			return
		}
		if got != requested {
			t.Fatalf("MatchRedirectURI(%q, %q) = %q, want the requested URI", registered, requested, got)
		}
		if registered == requested {
			return
		}
		// A match that is not exact must be the loopback rule, and it must
		// never change scheme, host, query, userinfo or fragment.
		if !IsLoopback(registered) || !IsLoopback(requested) {
			t.Fatalf("MatchRedirectURI(%q, %q) matched inexactly outside loopback", registered, requested)
		}
		reg, err1 := url.Parse(registered)
		req, err2 := url.Parse(requested)
		if err1 != nil || err2 != nil {
			t.Fatalf("MatchRedirectURI(%q, %q) matched unparseable URIs: %v, %v", registered, requested, err1, err2)
		}
		if reg.Scheme != req.Scheme || reg.Hostname() != req.Hostname() {
			t.Fatalf("MatchRedirectURI(%q, %q): got scheme+host %s://%s, want %s://%s", registered, requested, req.Scheme, req.Hostname(), reg.Scheme, reg.Hostname())
		}
		if reg.RawQuery != req.RawQuery || req.User != nil || req.Fragment != "" ||
			strings.TrimSuffix(reg.EscapedPath(), "/") != strings.TrimSuffix(req.EscapedPath(), "/") {
			t.Fatalf("MatchRedirectURI(%q, %q) matched a different path, query, userinfo or fragment", registered, requested)
		}
	})
}
