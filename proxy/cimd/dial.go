package cimd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// blockedAddrError is a refusal to connect to a non-public address. It
// reaches the fetcher wrapped in the transport's errors.
type blockedAddrError struct {
	// host is the name that resolved to addr; empty when addr was not
	// found by a lookup (an IP literal, or the socket check).
	host string
	addr netip.Addr
}

func (e *blockedAddrError) Error() string {
	if e.host == "" {
		return fmt.Sprintf("%s is not a public address", e.addr)
	}
	return fmt.Sprintf("%s resolves to %s, which is not a public address", e.host, e.addr)
}

// newHTTPClient builds the one client all fetches share. Everything about
// it is chosen against a hostile document server or a hostile DNS.
func (r *Resolver) newHTTPClient(roots *x509.CertPool) *http.Client {
	transport := &http.Transport{
		// Never via HTTP(S)_PROXY: a proxy would connect to the host
		// itself, out of reach of the address checks.
		Proxy:       nil,
		DialContext: r.dialContext,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    roots,
		},
		TLSHandshakeTimeout:   r.timeout,
		ResponseHeaderTimeout: r.timeout,
		// 64 KiB of headers is plenty for a JSON file and bounds what a
		// hostile server makes mcpgate hold.
		MaxResponseHeaderBytes: 64 << 10,
		// Documents are refetched minutes apart, so pooled connections
		// would only hold sockets open to hosts anyone can name.
		DisableKeepAlives: true,
		// A compressed body would be inflated past what MaxBytes means on
		// the wire; the documents are too small to need compression.
		DisableCompression: true,
	}
	// No Client.Timeout: every fetch runs under a context with the
	// HTTPTimeout deadline, one clock for the whole fetch that the body
	// check in fetch can consult.
	return &http.Client{
		Transport: transport,
		// The draft forbids following redirects; the fetcher refuses the
		// 3xx it gets back.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// dialContext resolves the host once, checks every address, and connects
// to a checked address (pinning it), so no second DNS answer can be
// slipped between the check and the connection. TLS still verifies the
// certificate against the host name, and the Host header stays the name:
// the transport sets both from the URL, not from what is dialed.
func (r *Resolver) dialContext(ctx context.Context, network, hostport string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("invalid port %q", portStr)
	}
	addrs, looked, err := r.resolveHost(ctx, host)
	if err != nil {
		return nil, err
	}
	// One forbidden address refuses the host: a name that mixes public
	// and internal addresses is an attack or a misconfiguration, and
	// refusing it whole keeps the outcome independent of address order.
	for _, a := range addrs {
		if !r.addrAllowed(a) {
			if !looked {
				host = ""
			}
			return nil, &blockedAddrError{host: host, addr: a}
		}
	}
	var errs []error
	for i, a := range addrs {
		// Like net.Dialer, give each address a share of the remaining
		// time, so that one unreachable address (IPv6 without a route)
		// does not use up the whole fetch.
		dctx, cancel := partialDeadline(ctx, len(addrs)-i)
		conn, err := r.dialAddr(dctx, network, netip.AddrPortFrom(a.Unmap(), uint16(port)).String())
		cancel()
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// partialDeadline returns ctx with a deadline for one of remaining
// connection attempts: an equal share of the time left, but at least two
// seconds when that much is left (net.Dialer's rule).
func partialDeadline(ctx context.Context, remaining int) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || remaining <= 1 {
		return ctx, func() {}
	}
	const saneMinimum = 2 * time.Second
	left := time.Until(deadline)
	share := left / time.Duration(remaining)
	if share < saneMinimum {
		share = min(saneMinimum, left)
	}
	return context.WithTimeout(ctx, share)
}

// resolveHost returns the addresses of host, which may be an IP literal;
// looked tells whether a lookup was made.
func (r *Resolver) resolveHost(ctx context.Context, host string) (addrs []netip.Addr, looked bool, err error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, false, nil
	}
	addrs, err = r.lookup(ctx, host)
	if err != nil {
		return nil, true, err
	}
	if len(addrs) == 0 {
		return nil, true, fmt.Errorf("no addresses found for %s", host)
	}
	return addrs, true, nil
}

// checkSocket is the dialer's Control hook: it runs on the socket about to
// connect, with the address the kernel is given. It is the last word on
// where a fetch goes, whatever resolved or rewrote the address before.
func (r *Resolver) checkSocket(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("cimd: refusing to connect to unparsable address %q", address)
	}
	if !r.addrAllowed(ap.Addr()) {
		return &blockedAddrError{addr: ap.Addr()}
	}
	return nil
}
