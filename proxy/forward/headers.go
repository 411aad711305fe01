package forward

import (
	"net/http"
	"strings"
)

// wellKnownIdentityHeaders are request headers that some backend, proxy or
// framework reads as "who is calling" or "where from": a client must never
// be able to set them. An entry ending in '-' is a family (every header
// with that prefix). Names are compared in lower case with '_' read as
// '-', because CGI, WSGI and PHP servers present X_Forwarded_User and
// X-Forwarded-User alike (HTTP_X_FORWARDED_USER).
var wellKnownIdentityHeaders = []string{
	"authorization", "proxy-authorization", "cookie", "forwarded",
	// Proxies' address and identity families; mcpgate sets X-Forwarded-For,
	// -Host and -Proto itself.
	"x-forwarded-", "x-original-", "x-real-ip", "x-client-ip", "x-cluster-client-ip",
	"true-client-ip", "cf-connecting-ip", "fastly-client-ip", "x-envoy-external-address",
	// oauth2-proxy, Authelia, Traefik/nginx auth_request, Grafana, Apache.
	"x-auth-request-", "remote-", "x-remote-", "x-webauth-", "x-authenticated-",
	"x-user", "x-user-", "x-email", "x-groups", "x-auth-",
	// Cloud identity-aware proxies.
	"cf-access-", "x-goog-authenticated-user-", "x-goog-iap-", "x-amzn-oidc-",
	"x-ms-client-principal", "x-ms-client-principal-", "x-ms-token-", "x-pomerium-",
}

// headerFilter decides which inbound headers are dropped before a request
// goes to the backend.
type headerFilter struct {
	exact map[string]bool
	// prefixes are the families, by their first byte: most headers
	// (Content-Type, Accept, Mcp-*) then meet none.
	prefixes [256][]string
}

// newHeaderFilter builds the filter from the well-known names, the
// identity headers mcpgate sets, and extra entries from configuration
// ("X-Tenant", or "X-Tenant-*" for a family).
func newHeaderFilter(own []string, extra []string) *headerFilter {
	f := &headerFilter{exact: map[string]bool{}}
	add := func(name string) {
		n := normalizeHeaderName(name)
		if family, ok := strings.CutSuffix(n, "*"); ok {
			n = family
			if !strings.HasSuffix(n, "-") {
				n += "-"
			}
		}
		if strings.HasSuffix(n, "-") {
			f.prefixes[n[0]] = append(f.prefixes[n[0]], n)
		} else if n != "" {
			f.exact[n] = true
		}
	}
	for _, list := range [][]string{wellKnownIdentityHeaders, own, extra} {
		for _, name := range list {
			add(name)
		}
	}
	return f
}

// normalizeHeaderName lower-cases name and reads '_' as '-'.
func normalizeHeaderName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '_':
			return '-'
		case 'A' <= r && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, name)
}

// drops reports whether the header name must not reach the backend. It
// runs for every header of every forwarded request, so it normalizes into
// a stack buffer instead of allocating.
func (f *headerFilter) drops(name string) bool {
	var buf [64]byte
	if len(name) > len(buf) {
		return f.dropsLong(normalizeHeaderName(name))
	}
	n := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_':
			c = '-'
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		n[i] = c
	}
	if len(n) == 0 {
		return false
	}
	for _, p := range f.prefixes[n[0]] {
		if len(n) > len(p) && string(n[:len(p)]) == p {
			return true
		}
	}
	return f.exact[string(n)]
}

func (f *headerFilter) dropsLong(n string) bool {
	if f.exact[n] {
		return true
	}
	for _, p := range f.prefixes[n[0]] {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// strip removes every header the filter drops.
func (f *headerFilter) strip(h http.Header) {
	for name := range h {
		if f.drops(name) {
			delete(h, name)
		}
	}
}
