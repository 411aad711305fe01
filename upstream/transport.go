package upstream

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// metadataRanges are addresses no IdP is ever at and that a request from
// mcpgate must never reach: link-local space, where clouds serve instance
// metadata and credentials (169.254.169.254, fd00:ec2::254). An IdP's
// discovery document names the token, JWKS and userinfo URLs mcpgate
// calls, and a redirect can name any other; private addresses stay
// allowed, since IdPs run inside company networks (Keycloak on 10.x).
var metadataRanges = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud's metadata service
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Transport is the transport to IdPs: net/http's default, except that it
// never connects to a metadataRanges address, whatever name or redirect
// led there (the check runs on the socket, after DNS).
func Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refuseMetadata}
	t.DialContext = dialer.DialContext
	return t
}

func refuseMetadata(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("upstream: refusing to connect to unparsable address %q", address)
	}
	a := ap.Addr().WithZone("").Unmap()
	for _, p := range metadataRanges {
		if p.Contains(a) {
			return fmt.Errorf("upstream: refusing to connect to %s, a link-local (cloud metadata) address", a)
		}
	}
	// NAT64 (RFC 6052) embeds an IPv4 address that a gateway connects to.
	if nat64.Contains(a) {
		b := a.As16()
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		for _, p := range metadataRanges {
			if p.Contains(v4) {
				return fmt.Errorf("upstream: refusing to connect to %s, a link-local (cloud metadata) address", a)
			}
		}
	}
	return nil
}
