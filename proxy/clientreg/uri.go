package clientreg

import (
	"net/netip"
	"net/url"
	"strings"
)

// MaxURILength bounds every URI a client registers: about 2 KB is the
// longest URL every browser and proxy carries intact, and no real callback
// comes close.
const MaxURILength = 2000

// blockedSchemes can run script, read local data or point at browser
// internals; a code delivered to them leaks or executes. Compared lower case.
var blockedSchemes = map[string]bool{
	"javascript":  true,
	"vbscript":    true,
	"data":        true,
	"file":        true,
	"blob":        true,
	"about":       true,
	"filesystem":  true,
	"view-source": true,
}

// uriKind says which family of redirect URI rules applies.
type uriKind int

const (
	kindHTTPS    uriKind = iota + 1 // https to any valid host
	kindLoopback                    // http to a loopback literal (RFC 8252 §7.3)
	kindCustom                      // private-use scheme (RFC 8252 §7.1)
)

// parseURI runs the checks shared by redirect URIs and informational URIs
// (client_uri, logo_uri...). It works on the raw text first because
// url.Parse is lenient: it decodes, accepts characters RFC 3986 forbids and
// lets browsers and Go disagree on where the host ends (backslashes,
// whitespace, non-ASCII look-alikes).
func parseURI(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, uriErrorf("is empty")
	}
	if len(raw) > MaxURILength {
		return nil, uriErrorf("is longer than %d characters", MaxURILength)
	}
	if err := checkURIChars(raw); err != nil {
		return nil, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, uriErrorf("cannot be parsed as a URI")
	}
	if u.Scheme == "" {
		return nil, uriErrorf("is not an absolute URI (no scheme)")
	}
	// url.Parse lower-cases the scheme, so JAVASCRIPT: is caught too.
	if blockedSchemes[u.Scheme] {
		return nil, uriErrorf("uses the forbidden scheme %q", u.Scheme)
	}
	if u.User != nil {
		// https://good.example@evil.example shows the good name to the
		// user while the browser goes to evil.example.
		return nil, uriErrorf("must not contain userinfo (user@host)")
	}
	return u, nil
}

// classify applies the per-scheme rules to a URI parseURI accepted.
func classify(raw string, u *url.URL) (uriKind, error) {
	switch u.Scheme {
	case "http", "https":
		if u.Opaque != "" || u.Host == "" {
			return 0, uriErrorf("%s URI must have a host", u.Scheme)
		}
		if err := checkAuthority(raw, u); err != nil {
			return 0, err
		}
		host := u.Hostname()
		if u.Scheme == "http" {
			if !isLoopbackHost(u) {
				return 0, uriErrorf("http is only allowed for loopback hosts (localhost, 127.0.0.1, [::1]); use https")
			}
			return kindLoopback, nil
		}
		if err := checkHTTPSHost(u, host); err != nil {
			return 0, err
		}
		return kindHTTPS, nil
	default:
		// A private-use scheme must be followed by a path or an authority:
		// "localhost:8080" would otherwise parse as scheme "localhost", and
		// "myapp:" names no callback at all.
		if !strings.HasPrefix(raw[len(u.Scheme)+1:], "/") {
			return 0, uriErrorf("private-use scheme URI must continue with '/' after %q (like com.example.app:/callback)", u.Scheme+":")
		}
		if err := checkAuthority(raw, u); err != nil {
			return 0, err
		}
		return kindCustom, nil
	}
}

// checkAuthority refuses authorities whose meaning differs between parsers.
// The raw text is inspected because u.Host is already percent-decoded.
func checkAuthority(raw string, u *url.URL) error {
	authority := rawAuthority(raw, len(u.Scheme))
	if strings.Contains(authority, "*") {
		return uriErrorf("must not contain a wildcard host")
	}
	if strings.Contains(authority, "%") {
		return uriErrorf("must not percent-encode the host")
	}
	if strings.HasSuffix(u.Host, ":") {
		return uriErrorf("has an empty port")
	}
	if p := u.Port(); p != "" {
		if len(p) > 5 || p[0] == '0' || atoi(p) > 65535 {
			return uriErrorf("has an invalid port %q", p)
		}
	}
	return nil
}

// rawAuthority returns the authority of raw as written, "" if it has none.
// schemeLen is the length of raw's scheme, which parseURI found.
func rawAuthority(raw string, schemeLen int) string {
	rest, ok := strings.CutPrefix(raw[schemeLen+1:], "//")
	if !ok {
		return ""
	}
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		return rest[:end]
	}
	return rest
}

// atoi parses a string of ASCII digits that url.Parse already checked.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// isLoopbackHost accepts only the literal forms RFC 8252 §7.3 names. Other
// spellings of the same addresses (127.1, 0x7f.0.0.1, [0::1], LOCALHOST,
// localhost.) are refused rather than treated as loopback: browsers and
// resolvers do not agree on them, and no client sends them.
func isLoopbackHost(u *url.URL) bool {
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	if strings.HasPrefix(u.Host, "[") {
		return host == "::1"
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Is4() && addr.IsLoopback() && addr.String() == host
}

// checkHTTPSHost requires a DNS name or a canonical IP literal. A host whose
// last label is numeric but is not a canonical IPv4 address (https://1.2.3,
// https://0x7f.1) is one that browsers reinterpret as an IP address.
func checkHTTPSHost(u *url.URL, host string) error {
	if strings.HasPrefix(u.Host, "[") {
		if addr, err := netip.ParseAddr(host); err != nil || !addr.Is6() {
			return uriErrorf("has an invalid IPv6 host")
		}
		return nil
	}
	if addr, err := netip.ParseAddr(host); err == nil && addr.Is4() && addr.String() == host {
		return nil
	}
	if len(host) > 253 {
		return uriErrorf("has a host name longer than 253 characters")
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return uriErrorf("has an invalid host name %q", host)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !isAlnum(c) && c != '-' && c != '_' {
				return uriErrorf("has an invalid host name %q", host)
			}
		}
	}
	last := labels[len(labels)-1]
	if isDigit(last[0]) {
		return uriErrorf("has a numeric host %q that is not a canonical IPv4 address", host)
	}
	return nil
}

// checkURIChars allows only the characters RFC 3986 allows in a URI, and
// percent signs only as well-formed escapes. This refuses in one place
// control characters, whitespace, backslashes (which browsers read as '/'),
// and non-ASCII (which can imitate '/', '.', '@' or a trusted name).
func checkURIChars(raw string) error {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return uriErrorf("contains a control character at offset %d", i)
		case c == ' ':
			return uriErrorf("contains whitespace at offset %d", i)
		case c >= 0x80:
			return uriErrorf("contains a non-ASCII byte at offset %d (percent-encode it, or use punycode for host names)", i)
		case c == '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return uriErrorf("contains a malformed percent-encoding at offset %d", i)
			}
		case !isURIChar(c):
			return uriErrorf("contains the character %q, which is not allowed in a URI", c)
		}
	}
	return nil
}

// isURIChar reports whether c is unreserved, a gen-delim or a sub-delim
// (RFC 3986 §2.2, §2.3).
func isURIChar(c byte) bool {
	if isAlnum(c) {
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0
}

func isAlnum(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
