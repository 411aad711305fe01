package clientreg

import "strings"

// Application types of OIDC Dynamic Client Registration §2.
const (
	ApplicationTypeWeb    = "web"
	ApplicationTypeNative = "native"
)

// ValidateRedirectURI reports why raw may not be registered as a redirect
// URI by a client of the given application type, or nil if it may.
//
// Every client may register https URIs with a host and loopback http URIs
// (localhost, 127.x.y.z, [::1], any port). Native clients may also register
// private-use schemes (com.example.app:/cb, cursor://..., vscode://...). An
// empty applicationType applies no type rule, for callers that decide the
// type from the URIs afterwards; any other value is an error.
func ValidateRedirectURI(raw string, applicationType string) error {
	kind, err := parseRedirectURI(raw)
	if err != nil {
		return err
	}
	switch applicationType {
	case "", ApplicationTypeNative:
		return nil
	case ApplicationTypeWeb:
		if kind == kindCustom {
			return uriErrorf("uses a private-use scheme, which only native clients may register (application_type \"native\")")
		}
		return nil
	default:
		return uriErrorf("cannot be checked for unknown application_type %q", applicationType)
	}
}

// parseRedirectURI applies the rules that do not depend on the application
// type.
func parseRedirectURI(raw string) (uriKind, error) {
	u, err := parseURI(raw)
	if err != nil {
		return 0, err
	}
	// Checked on the raw text: url.Parse drops an empty fragment ("#"), and
	// RFC 6749 §3.1.2 forbids the fragment component, not just its content.
	if strings.Contains(raw, "#") {
		return 0, uriErrorf("must not contain a fragment ('#')")
	}
	return classify(raw, u)
}

// IsLoopback reports whether raw is a valid redirect URI using http to a
// loopback host literal, the kind RFC 8252 §7.3 lets vary its port.
func IsLoopback(raw string) bool {
	kind, err := parseRedirectURI(raw)
	return err == nil && kind == kindLoopback
}

// MatchRedirectURI finds requested among the registered redirect URIs and
// returns it (the value the authorization code is then bound to).
//
// The comparison is on exact strings, with one exception for registered
// loopback http URIs: the requested URI matches when it has the same scheme,
// host, path and query and only the port differs (RFC 8252 §7.3), a missing
// port included, or the path differs by a single trailing slash (VS Code).
// An empty requested URI never matches: whether it may be omitted is the
// authorization endpoint's decision.
func MatchRedirectURI(registered []string, requested string) (string, bool) {
	if requested == "" {
		return "", false
	}
	for _, r := range registered {
		if r == requested {
			return requested, true
		}
	}
	req, ok := splitLoopback(requested)
	if !ok {
		return "", false
	}
	for _, r := range registered {
		reg, ok := splitLoopback(r)
		if ok && reg.scheme == req.scheme && reg.host == req.host &&
			strings.TrimSuffix(reg.path, "/") == strings.TrimSuffix(req.path, "/") &&
			reg.query == req.query {
			return requested, true
		}
	}
	return "", false
}

// loopbackParts are the pieces of a loopback URI compared when its port may
// vary. They are cut from the raw text, never decoded, so that /cb and /%63b
// stay different.
type loopbackParts struct {
	scheme string
	host   string
	path   string
	// query includes its leading '?', so "/cb?" and "/cb" differ.
	query string
}

func splitLoopback(raw string) (loopbackParts, bool) {
	if !IsLoopback(raw) {
		return loopbackParts{}, false
	}
	// Validated: "<scheme>://<authority>[/path][?query]", no userinfo and no
	// fragment, the host either a bracketed IPv6 literal or free of ':'.
	i := strings.Index(raw, "://")
	p := loopbackParts{scheme: raw[:i]}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	if strings.HasPrefix(authority, "[") {
		p.host = authority[:strings.IndexByte(authority, ']')+1]
	} else {
		p.host, _, _ = strings.Cut(authority, ":")
	}
	p.path, p.query = rest[end:], ""
	if q := strings.IndexByte(p.path, '?'); q >= 0 {
		p.path, p.query = p.path[:q], p.path[q:]
	}
	return p, true
}
