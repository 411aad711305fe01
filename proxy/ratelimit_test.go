package proxy

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, peer, xff string
		trusted         []netip.Prefix
		want            string
	}{
		{name: "no proxies trusted: the header is ignored", peer: "10.1.1.1:5000", xff: "203.0.113.9", want: "10.1.1.1"},
		{name: "untrusted peer cannot claim an address", peer: "198.51.100.7:5000", xff: "203.0.113.9", trusted: trusted, want: "198.51.100.7"},
		{name: "trusted balancer", peer: "10.1.1.1:5000", xff: "203.0.113.9", trusted: trusted, want: "203.0.113.9"},
		{name: "forged left entries are skipped", peer: "10.1.1.1:5000", xff: "1.2.3.4, 203.0.113.9, 10.2.2.2", trusted: trusted, want: "203.0.113.9"},
		{name: "malformed chain", peer: "10.1.1.1:5000", xff: "203.0.113.9, not-an-ip", trusted: trusted, want: "10.1.1.1"},
		{name: "only trusted hops", peer: "10.1.1.1:5000", xff: "10.3.3.3", trusted: trusted, want: "10.1.1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/register", nil)
			r.RemoteAddr = tt.peer
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := clientIP(r, tt.trusted); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHourlyLimiter(t *testing.T) {
	l := newHourlyLimiter(2)
	now := time.Now()
	for i, want := range []bool{true, true, false} {
		if got := l.allow("a", now); got != want {
			t.Fatalf("attempt %d: got %v, want %v", i+1, got, want)
		}
	}
	if !l.allow("b", now) {
		t.Fatal("another address shares the limit")
	}
	if !l.allow("a", now.Add(61*time.Minute)) {
		t.Fatal("the window did not slide")
	}
	if !newHourlyLimiter(0).allow("a", now) {
		t.Fatal("0 must mean unlimited")
	}
}
