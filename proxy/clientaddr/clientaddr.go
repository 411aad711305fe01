// Package clientaddr tells which address a request comes from, believing
// X-Forwarded-For only as far as trusted proxies vouch for it, and groups
// addresses the way one party holds them (an IPv6 /64) for rate limits.
package clientaddr

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Peer is the address of the connection's other end; an invalid Addr when
// RemoteAddr is not an IP address (tests, unix sockets).
func Peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// FromTrusted reports whether the request's peer is one of trusted.
func FromTrusted(r *http.Request, trusted []netip.Prefix) bool {
	return len(trusted) > 0 && In(Peer(r), trusted)
}

// Of is the address of the client: the peer, unless the peer is a trusted
// proxy, in which case X-Forwarded-For is read from the right, skipping
// trusted proxies, and the first address not trusted is the client's.
// Entries left of it could be forged by the client itself, and a malformed
// chain means the peer's own address.
func Of(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := Peer(r)
	if !peer.IsValid() || !In(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		if hop = hop.Unmap(); !In(hop, trusted) {
			return hop
		}
	}
	return peer
}

// In reports whether a is in one of prefixes.
func In(a netip.Addr, prefixes []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// RateKey is the unit a per-address limit counts: an IPv4 address, or the
// /64 an IPv6 address is in, since one subscriber or host is given a whole
// /64 and can use any address of it.
func RateKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
