package clientaddr

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestOf(t *testing.T) {
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
		{name: "IPv4-mapped peer", peer: "[::ffff:198.51.100.7]:5000", want: "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/register", nil)
			r.RemoteAddr = tt.peer
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := Of(r, tt.trusted).String(); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRateKey(t *testing.T) {
	tests := []struct{ name, addr, want string }{
		{name: "IPv4 as it is", addr: "203.0.113.9", want: "203.0.113.9"},
		{name: "IPv6 grouped by /64", addr: "2001:db8:1:2:aaaa:bbbb:cccc:dddd", want: "2001:db8:1:2::/64"},
		{name: "another address of the same /64", addr: "2001:db8:1:2::1", want: "2001:db8:1:2::/64"},
		{name: "the next /64", addr: "2001:db8:1:3::1", want: "2001:db8:1:3::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RateKey(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := RateKey(netip.Addr{}); got != "unknown" {
		t.Fatalf("invalid address: got %q, want unknown", got)
	}
}
