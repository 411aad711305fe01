package cimd

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestIsURLClientID(t *testing.T) {
	long := "https://app.example.com/" + strings.Repeat("a", 2000-len("https://app.example.com/"))
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"simple", "https://app.example.com/client.json", true},
		{"nested path", "https://app.example.com/oauth/client-metadata.json", true},
		{"port", "https://app.example.com:8443/c", true},
		{"query refused", "https://app.example.com/c?v=1", false},
		{"empty query refused", "https://app.example.com/c?", false},
		{"dots inside segments", "https://app.example.com/.well-known/a.b/c..d", true},
		{"IPv4 literal", "https://203.0.113.7/c", true},
		{"IPv6 literal", "https://[2001:db8::1]/c", true},
		{"exactly 2000 characters", long, true},

		{"empty", "", false},
		{"opaque DCR id", "0d9f2c7e-1b3a-4f5e-9c8d-7a6b5c4d3e2f", false},
		{"http", "http://app.example.com/c", false},
		{"upper-case scheme", "HTTPS://app.example.com/c", false},
		{"no path", "https://app.example.com", false},
		{"root path", "https://app.example.com/", false},
		{"query without path", "https://app.example.com?c=1", false},
		{"fragment", "https://app.example.com/c#x", false},
		{"empty fragment", "https://app.example.com/c#", false},
		{"userinfo", "https://user@app.example.com/c", false},
		{"user and password", "https://user:pw@app.example.com/c", false},
		{"dot segment", "https://app.example.com/./c", false},
		{"dot-dot segment", "https://app.example.com/a/../c", false},
		{"trailing dot-dot", "https://app.example.com/a/..", false},
		{"trailing dot", "https://app.example.com/a/.", false},
		{"encoded dot-dot", "https://app.example.com/a/%2e%2E/c", false},
		{"encoded dot", "https://app.example.com/%2E/c", false},
		{"encoded slash making a dot segment", "https://app.example.com/%2e%2F/c", false},
		{"encoded backslash", "https://app.example.com/a%5c../c", false},
		{"longer than 2000", long + "a", false},
		{"no host", "https:///c", false},
		{"whitespace", "https://app.example.com/c d", false},
		{"backslash", `https://app.example.com\@evil.example/c`, false},
		{"non-ASCII host", "https://exämple.com/c", false},
		{"wildcard host", "https://*.example.com/c", false},
		{"port 0", "https://app.example.com:0/c", false},
		{"empty port", "https://app.example.com:/c", false},
		{"trailing-dot host", "https://app.example.com./c", false},
		{"non-canonical numeric host", "https://0x7f.1/c", false},
		{"percent-encoded host", "https://app%2Eexample.com/c", false},
		{"control character", "https://app.example.com/c\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsURLClientID(tt.id); got != tt.want {
				_, reason := parseClientID(tt.id)
				t.Errorf("IsURLClientID(%q): got %v, want %v (reason %q)", tt.id, got, tt.want, reason)
			}
		})
	}
}

// TestResolveRefusesMalformedClientID checks that a malformed client_id is
// refused without a lookup or a connection.
func TestResolveRefusesMalformedClientID(t *testing.T) {
	lookups := &fixedLookup{addrs: addrs("127.0.0.1")}
	r := mustNew(t, Options{Resolver: lookups.lookup, AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	dials := countDials(r)
	for _, id := range []string{"", "http://app.example.com/c", "https://app.example.com/", "https://app.example.com/../c", strings.Repeat("x", 1<<20)} {
		_, err := r.Resolve(context.Background(), id)
		checkErr(t, err, "ErrInvalidClient", "client_id")
		if len(err.Error()) > 400 {
			t.Errorf("error for a %d-byte client_id is %d bytes long, want the client_id cut short", len(id), len(err.Error()))
		}
	}
	if lookups.calls.Load() != 0 || dials.Load() != 0 {
		t.Errorf("lookups, dials: got %d, %d, want 0, 0", lookups.calls.Load(), dials.Load())
	}
}

func TestMatchDomain(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		host     string
		want     bool
	}{
		{"exact", []string{"app.example.com"}, "app.example.com", true},
		{"exact does not cover subdomains", []string{"example.com"}, "app.example.com", false},
		{"wildcard covers a subdomain", []string{"*.example.com"}, "app.example.com", true},
		{"wildcard covers deeper names", []string{"*.example.com"}, "a.b.example.com", true},
		{"wildcard does not cover the apex", []string{"*.example.com"}, "example.com", false},
		{"wildcard needs a label boundary", []string{"*.example.com"}, "evilexample.com", false},
		{"suffix look-alike", []string{"*.example.com"}, "example.com.evil.test", false},
		{"IP literal", []string{"203.0.113.7"}, "203.0.113.7", true},
		{"canonical IPv6 literal", []string{"2001:db8::1"}, "2001:db8::1", true},
		{"no patterns", nil, "app.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchDomain(tt.patterns, tt.host); got != tt.want {
				t.Errorf("matchDomain(%q, %q): got %v, want %v", tt.patterns, tt.host, got, tt.want)
			}
		})
	}
}

func TestTrustPolicy(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, validDoc) })
	tests := []struct {
		name        string
		allow, deny []string
		host        string
		// wantKind is "nil" when the fetch goes ahead and succeeds.
		wantKind string
	}{
		{name: "no policy allows any host", host: "app.example.com", wantKind: "nil"},
		{name: "allowed by wildcard", allow: []string{"*.example.com"}, host: "app.example.com", wantKind: "nil"},
		{name: "allowed exactly, case folded", allow: []string{"APP.Example.com"}, host: "app.example.com", wantKind: "nil"},
		{name: "host case folded", allow: []string{"app.example.com"}, host: "APP.example.com", wantKind: "nil"},
		{name: "not in allow list", allow: []string{"*.example.org"}, host: "app.example.com", wantKind: "ErrInvalidClient"},
		{name: "wildcard does not allow the apex", allow: []string{"*.example.com"}, host: "example.com", wantKind: "ErrInvalidClient"},
		{name: "denied exactly", deny: []string{"evil.example.com"}, host: "evil.example.com", wantKind: "ErrInvalidClient"},
		{name: "deny does not spill to siblings", deny: []string{"evil.example.com"}, host: "app.example.com", wantKind: "nil"},
		{name: "deny wins over allow", allow: []string{"*.example.com"}, deny: []string{"evil.example.com"}, host: "evil.example.com", wantKind: "ErrInvalidClient"},
		{name: "deny wildcard wins over exact allow", allow: []string{"app.example.com"}, deny: []string{"*.example.com"}, host: "app.example.com", wantKind: "ErrInvalidClient"},
		{name: "IPv6 literal denied whatever its spelling", deny: []string{"2001:DB8:0:0::1"}, host: "[2001:db8::0:1]", wantKind: "ErrInvalidClient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(ts, newFakeClock())
			opts.AllowDomains, opts.DenyDomains = tt.allow, tt.deny
			r := mustNew(t, opts)
			dials := countDials(r)
			_, err := r.Resolve(context.Background(), ts.url(tt.host, "/c.json"))
			if tt.wantKind == "nil" {
				checkErr(t, err, "nil", "")
				return
			}
			checkErr(t, err, tt.wantKind, "trust policy")
			if got := dials.Load(); got != 0 {
				t.Errorf("dial attempts for a refused host: got %d, want 0", got)
			}
		})
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"negative timeout", Options{HTTPTimeout: -time.Second}},
		{"negative MaxBytes", Options{MaxBytes: -1}},
		{"CacheMin above CacheMax", Options{CacheMin: time.Hour, CacheMax: time.Minute}},
		{"CacheMin above default CacheMax", Options{CacheMin: 48 * time.Hour}},
		{"invalid prefix", Options{AllowedNetworks: []netip.Prefix{{}}}},
		{"bare wildcard", Options{AllowDomains: []string{"*"}}},
		{"wildcard inside", Options{AllowDomains: []string{"app.*.example.com"}}},
		{"URL instead of host", Options{DenyDomains: []string{"https://evil.example.com"}}},
		{"host with port", Options{DenyDomains: []string{"evil.example.com:443"}}},
		{"empty entry", Options{AllowDomains: []string{""}}},
		{"wildcard IP", Options{AllowDomains: []string{"*.10.0.0.1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); err == nil {
				t.Errorf("New(%+v): got nil error, want one", tt.opts)
			}
		})
	}
	if _, err := New(Options{}); err != nil {
		t.Errorf("New(Options{}): got %v, want nil", err)
	}
}
