package cimd

import (
	"net/netip"
)

// blockedV4 are the IPv4 ranges a metadata fetch must never reach: every
// range of the IANA IPv4 Special-Purpose Address Registry that is not
// globally reachable, plus multicast and the reserved class E. A fetch to
// any of them would let whoever controls a client_id's DNS make mcpgate
// probe its own network (SSRF).
var blockedV4 = prefixes(
	"0.0.0.0/8",       // "this network", and 0.0.0.0 (unspecified) which reaches the local host
	"10.0.0.0/8",      // private (RFC 1918)
	"100.64.0.0/10",   // shared address space, carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, including the 169.254.169.254 cloud metadata service
	"172.16.0.0/12",   // private (RFC 1918)
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation (TEST-NET-1)
	"192.88.99.0/24",  // deprecated 6to4 relay anycast
	"192.168.0.0/16",  // private (RFC 1918)
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation (TEST-NET-2)
	"203.0.113.0/24",  // documentation (TEST-NET-3)
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
)

// globalV6 is the only IPv6 space allocated for global unicast. Allowing
// this one block, rather than listing what to refuse, also refuses
// loopback, unspecified, the IPv4-compatible and translated forms, ULA
// (fc00::/7, with AWS's fd00:ec2::254 metadata service), link-local
// (fe80::/10), site-local and multicast, and whatever IANA reserves next.
var globalV6 = netip.MustParsePrefix("2000::/3")

// blockedV6 are ranges inside 2000::/3 that are still not public.
var blockedV6 = prefixes(
	"2001::/23",     // IETF protocol assignments, Teredo (2001::/32) among them
	"2001:db8::/32", // documentation
	"2002::/16",     // 6to4, which embeds an IPv4 address a relay would reach
	"3fff::/20",     // documentation (RFC 9637)
)

// nat64 is the well-known NAT64 prefix (RFC 6052): a gateway turns
// 64:ff9b::a.b.c.d into a connection to the IPv4 address a.b.c.d, so it is
// judged by that address. It is how IPv6-only hosts reach IPv4 sites.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// addrAllowed reports whether a fetch may connect to a.
func (r *Resolver) addrAllowed(a netip.Addr) bool {
	// A zoned address is link-scoped by definition, and netip prefixes
	// never contain a zoned address, which would skip every check below.
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	// ::ffff:10.0.0.1 connects to 10.0.0.1: judge the IPv4 address.
	a = a.Unmap()
	for _, p := range r.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return isPublic(a)
}

// isPublic reports whether a is globally routable unicast.
func isPublic(a netip.Addr) bool {
	if a.Is4() {
		return !containedIn(blockedV4, a)
	}
	if nat64.Contains(a) {
		b := a.As16()
		return isPublic(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	return globalV6.Contains(a) && !containedIn(blockedV6, a)
}

func containedIn(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// normalizePrefix masks p and turns an IPv4-mapped IPv6 prefix into the
// IPv4 prefix it means, since addresses are unmapped before they are
// compared.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	p = p.Masked()
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}
