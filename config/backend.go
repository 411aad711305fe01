package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

func (b *Backend) validate(p *Problems) {
	positive(p, "backend.timeout", b.Timeout)
	h := b.IdentityHeaders
	seen := map[string]string{}
	for _, f := range []struct{ key, name string }{
		{"backend.identity_headers.user", h.User},
		{"backend.identity_headers.email", h.Email},
		{"backend.identity_headers.email_verified", h.EmailVerified},
		{"backend.identity_headers.name", h.Name},
		{"backend.identity_headers.groups", h.Groups},
		{"backend.identity_headers.client_id", h.ClientID},
		{"backend.assertion.header", b.Assertion.Header},
	} {
		if f.name == "" {
			continue
		}
		if !validHeaderName(f.name) {
			p.add(f.key, "%q is not a valid HTTP header name", f.name)
			continue
		}
		canonical := strings.ToLower(f.name)
		if reservedHeader(canonical) {
			p.add(f.key, "%q is a header mcpgate or the MCP transport uses itself", f.name)
		}
		if other, dup := seen[canonical]; dup {
			p.add(f.key, "%q is already used by %s", f.name, other)
		}
		seen[canonical] = f.key
	}
	for i, h := range b.StripHeaders {
		key := fmt.Sprintf("backend.strip_headers[%d]", i)
		name, family := strings.CutSuffix(h, "*")
		if !validHeaderName(strings.TrimSuffix(name, "-")) || strings.Contains(name, "*") {
			p.add(key, "%q is not a header name, or a prefix followed by *", h)
			continue
		}
		lower := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		if reservedHeader(lower) || (family && reservedPrefix(lower)) {
			p.add(key, "%q would drop a header the MCP transport needs", h)
		}
	}
	if b.Assertion.Header != "" {
		positive(p, "backend.assertion.ttl", b.Assertion.TTL)
	}
	if b.Assertion.Audience != "" && strings.ContainsAny(b.Assertion.Audience, " \t\r\n") {
		p.add("backend.assertion.audience", "must not contain white space")
	}
}

// reservedHeader: headers whose meaning a forwarded request must keep.
// checkUpstreamTokenHeader checks the header name at key that carries the
// IdP's access token: any header but those the transport or the identity
// headers use; Authorization is free, mcpgate never passing on the
// client's.
func (b *Backend) checkUpstreamTokenHeader(p *Problems, key, name string) {
	if name == "" {
		return
	}
	lower := strings.ToLower(name)
	h := b.IdentityHeaders
	switch {
	case !validHeaderName(name):
		p.add(key, "%q is not a valid HTTP header name", name)
	case lower != "authorization" && reservedHeader(lower):
		p.add(key, "%q is a header mcpgate or the MCP transport uses itself", name)
	case slices.ContainsFunc([]string{h.User, h.Email, h.EmailVerified, h.Name, h.Groups, h.ClientID, b.Assertion.Header},
		func(n string) bool { return strings.EqualFold(n, name) }):
		p.add(key, "%q already carries the identity or the assertion", name)
	}
}

func reservedHeader(lower string) bool {
	switch lower {
	case "authorization", "cookie", "host", "content-type", "content-length", "accept",
		"mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id",
		"connection", "transfer-encoding", "te", "upgrade":
		return true
	}
	return strings.HasPrefix(lower, "mcp-param-")
}

// reservedPrefix reports whether a header family starting with prefix
// would take in a header the transport needs.
func reservedPrefix(prefix string) bool {
	for _, h := range []string{"content-type", "content-length", "accept", "mcp-session-id",
		"mcp-protocol-version", "mcp-method", "mcp-name", "mcp-param-x", "last-event-id"} {
		if strings.HasPrefix(h, prefix) {
			return true
		}
	}
	return false
}

// validHeaderName: RFC 9110 token characters.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= 0x20 || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// checkOrigin: a browser origin is scheme://host[:port] and nothing else.
func checkOrigin(p *Problems, key, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		p.add(key, "%s", fmt.Sprintf("%q is not an origin such as https://app.example.com", raw))
	}
}
