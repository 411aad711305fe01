package proxy

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/mcpgate/mcpgate/proxy/clientaddr"
)

// hostPolicy is the set of Host header values mcpgate answers to: the
// public URL's host, and the configured allowed hosts. A page that points
// its own name at mcpgate's address (DNS rebinding) sends its own name as
// Host, and its requests are refused before anything else happens.
type hostPolicy struct {
	// exact holds host:port values (lower case, default port left out).
	exact map[string]bool
	// anyPort holds hosts allowed on every port.
	anyPort map[string]bool
	// defaultPort is public_url's scheme's port, which a Host may omit.
	defaultPort string
	trusted     []netip.Prefix
}

func newHostPolicy(publicURL string, allowed []string, trusted []netip.Prefix) (*hostPolicy, error) {
	u, err := url.Parse(publicURL)
	if err != nil {
		return nil, err
	}
	p := &hostPolicy{exact: map[string]bool{}, anyPort: map[string]bool{}, trusted: trusted, defaultPort: "80"}
	if u.Scheme == "https" {
		p.defaultPort = "443"
	}
	p.exact[p.normalize(u.Host)] = true
	for _, h := range allowed {
		if _, _, err := net.SplitHostPort(h); err == nil {
			p.exact[p.normalize(h)] = true
		} else {
			p.anyPort[strings.ToLower(strings.Trim(h, "[]"))] = true
		}
	}
	return p, nil
}

// normalize lower-cases a Host value, drops a trailing dot from the name
// and the default port.
func (p *hostPolicy) normalize(hostport string) string {
	hostport = strings.ToLower(hostport)
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return strings.TrimSuffix(hostport, ".")
	}
	host = strings.TrimSuffix(host, ".")
	if port == p.defaultPort {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" {
		return host
	}
	return host + ":" + port
}

// allows reports whether a request may be served: by its Host, or, when it
// comes through a trusted proxy that says so, by X-Forwarded-Host.
func (p *hostPolicy) allows(r *http.Request) bool {
	host := r.Host
	if fwd := r.Header.Values("X-Forwarded-Host"); len(fwd) > 0 && clientaddr.FromTrusted(r, p.trusted) {
		// The last value is the one the trusted proxy wrote: the Host the
		// request reached it with. Values left of it may be the client's.
		last := fwd[len(fwd)-1]
		host = strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:])
	}
	if host == "" {
		return false
	}
	if p.exact[host] {
		return true // as written: no normalizing, no allocation
	}
	n := p.normalize(host)
	if p.exact[n] {
		return true
	}
	name := n
	if h, _, err := net.SplitHostPort(n); err == nil {
		name = h
	}
	return p.anyPort[strings.Trim(name, "[]")]
}
