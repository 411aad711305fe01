package cimd

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/mcpgate/mcpgate/proxy/clientreg"
)

// IsURLClientID reports whether clientID is a well-formed CIMD client
// identifier: an https URL (scheme written "https://") with a path other
// than "/", no fragment, no userinfo and no "." or ".." path segments
// (encoded ones included, and no encoded '/' or '\' that could make one),
// at most clientreg.MaxURILength characters, and otherwise as clean as an
// https redirect URI must be (clientreg.ValidateRedirectURI). A query is
// refused too: the draft says a client_id SHOULD NOT have one, and with
// queries every request could name a new document on the same host, each a
// fresh outbound fetch. The trust policy is not consulted: that is
// Resolve's job.
func IsURLClientID(clientID string) bool {
	_, reason := parseClientID(clientID)
	return reason == ""
}

// parseClientID returns the lower-cased host of a well-formed client_id, or
// why it is not one.
func parseClientID(raw string) (host, reason string) {
	// Checked before anything else so that the syntax checks below never
	// run on a megabyte of attacker input.
	if len(raw) > clientreg.MaxURILength {
		return "", fmt.Sprintf("is longer than %d characters", clientreg.MaxURILength)
	}
	if !strings.HasPrefix(raw, "https://") {
		return "", "must be an https URL"
	}
	// The https redirect URI rules are exactly the URL hygiene a client_id
	// needs: RFC 3986 characters only (no whitespace, backslash or
	// non-ASCII look-alikes), no userinfo, no fragment, a valid DNS name
	// or canonical IP literal, no wildcard, no percent-encoded host, a
	// valid port.
	if err := clientreg.ValidateRedirectURI(raw, clientreg.ApplicationTypeWeb); err != nil {
		return "", strings.TrimPrefix(err.Error(), "invalid URI: ")
	}
	u, err := url.Parse(raw)
	if err != nil { // unreachable after ValidateRedirectURI; kept for safety
		return "", "cannot be parsed as a URL"
	}
	// The path is cut from the raw text, which the checks above made
	// "https://<authority>[/path][?query]".
	rest := raw[len("https://"):]
	path := ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		path = rest[i:]
	}
	path, query, hasQuery := strings.Cut(path, "?")
	if hasQuery || query != "" || u.RawQuery != "" || u.ForceQuery {
		return "", "must not have a query (the draft says it SHOULD NOT)"
	}
	if path == "" || path == "/" {
		return "", "must have a path (the document cannot be the site root)"
	}
	// An encoded '/' or '\' makes servers (and proxies before them)
	// disagree on where segments end, which would let "%2e%2F" become a
	// dot segment after decoding.
	if lower := strings.ToLower(path); strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") {
		return "", "must not percent-encode '/' or '\\' in its path"
	}
	for _, seg := range strings.Split(path, "/") {
		// %2e is a dot to every URL normalizer, so an encoded dot segment
		// would name another document after normalization.
		if d := strings.ReplaceAll(strings.ToLower(seg), "%2e", "."); d == "." || d == ".." {
			return "", "must not contain \".\" or \"..\" path segments"
		}
	}
	return canonicalHost(u.Hostname()), ""
}

// canonicalHost lower-cases a host name and writes an IP literal in its
// one canonical form, so that policy entries match however the client_id
// spells the address.
func canonicalHost(host string) string {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.String()
	}
	return strings.ToLower(host)
}

// domainPatterns normalizes and checks trust policy entries, so that a
// typo in configuration fails at start-up instead of silently matching
// nothing.
func domainPatterns(field string, in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, p := range in {
		norm := strings.ToLower(strings.TrimSpace(p))
		name := strings.TrimPrefix(norm, "*.")
		addr, ipErr := netip.ParseAddr(name)
		isIP := ipErr == nil
		if isIP && name == norm {
			out = append(out, addr.String())
			continue
		}
		// "*.10.0.0.1" would never match what it seems to mean.
		if isIP || !validHostName(name) {
			return nil, fmt.Errorf("cimd: %s: %q is neither a host name, an IP address nor \"*.\" followed by a host name", field, p)
		}
		out = append(out, norm)
	}
	return out, nil
}

func validHostName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// matchDomain reports whether host (lower case) matches one of patterns.
func matchDomain(patterns []string, host string) bool {
	for _, p := range patterns {
		if suffix, ok := strings.CutPrefix(p, "*"); ok {
			// suffix is ".example.com": a label must precede it.
			if len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
				return true
			}
		} else if host == p {
			return true
		}
	}
	return false
}

// trusted applies the trust policy: deny wins, an empty allow list allows.
func (r *Resolver) trusted(host string) bool {
	if matchDomain(r.denyDomains, host) {
		return false
	}
	return len(r.allowDomains) == 0 || matchDomain(r.allowDomains, host)
}
