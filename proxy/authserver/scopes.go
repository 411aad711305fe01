package authserver

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// resources are the protected resources mcpgate issues tokens for.
func (s *Server) resources() []string {
	out := make([]string, len(s.cfg.Resources))
	for i, r := range s.cfg.Resources {
		out[i] = r.URL
	}
	return out
}

// resolveResource picks the resource a request is for (RFC 8707). Without
// a resource parameter it is the one resource served, the default RFC 8707
// §2 allows (clients of 2025 often send none); with several served the
// client must choose. A resource sent must name a served one exactly,
// differing at most in the case of scheme and host and a trailing slash.
func (s *Server) resolveResource(requested []string) (resource, problem string) {
	served := s.resources()
	requested = sameResources(requested)
	switch {
	case len(requested) == 0 && len(served) == 1:
		return served[0], ""
	case len(requested) == 0:
		return "", "resource is required; this server serves " + strings.Join(served, ", ")
	case len(requested) > 1:
		return "", "only one resource may be requested"
	}
	if c := canonicalResource(requested[0]); slices.Contains(served, c) {
		return c, ""
	}
	return "", "this server issues tokens only for " + strings.Join(served, ", ")
}

// sameResources folds resource parameters that name one resource into
// one: Codex sends its configured resource beside the one it discovered,
// often the same URL twice. Different resources stay, and are refused.
func sameResources(rs []string) []string {
	if len(rs) < 2 {
		return rs
	}
	first := canonicalResource(rs[0])
	for _, r := range rs[1:] {
		if canonicalResource(r) != first {
			return rs
		}
	}
	return rs[:1]
}

// sameResource reports whether a token request's resource parameters,
// which may be left out (the grant is bound already), name bound.
func sameResource(requested []string, bound string) bool {
	requested = sameResources(requested)
	switch len(requested) {
	case 0:
		return true
	case 1:
		return canonicalResource(requested[0]) == bound
	}
	return false
}

// canonicalResource lets clients differ from the canonical URL only in the
// case of scheme and host and a trailing slash, which RFC 8707 clients vary
// in; anything else is a different resource.
func canonicalResource(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Fragment != "" || u.RawQuery != "" || u.User != nil {
		return ""
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u.String()
}

// toleratedScopes are ones generic OAuth clients add by habit; dropping
// them keeps those clients working without granting anything.
var toleratedScopes = []string{"openid", "profile", "email"}

// resolveScopes decides what an authorization request for resource is
// granted. Scopes the resource does not offer, and scopes a client did not register, are
// dropped (RFC 6749 §3.3 lets the server grant less than asked, and the
// token response names what was granted): clients ask for "claudeai",
// "openid profile" or nothing at all. A request left with nothing gets the
// resource's scopes (those the client registered, if it restricted
// itself). With StrictScopes the dropped scopes are refused instead.
func (s *Server) resolveScopes(raw string, client store.Client, resource string) ([]string, string) {
	offered := s.resource(resource).Scopes
	var registered []string
	if client.Scope != "" {
		registered = oauth.ParseScope(client.Scope)
	}
	allowed := func(sc string) bool {
		return sc == oauth.ScopeOfflineAccess || registered == nil || slices.Contains(registered, sc)
	}
	var granted []string
	for _, sc := range oauth.ParseScope(raw) {
		switch {
		case slices.Contains(toleratedScopes, sc):
		case sc != oauth.ScopeOfflineAccess && !slices.Contains(offered, sc):
			if s.cfg.StrictScopes {
				return nil, fmt.Sprintf("unknown scope %q", sc)
			}
		case !allowed(sc):
			if s.cfg.StrictScopes {
				return nil, fmt.Sprintf("scope %q was not registered by this client", sc)
			}
		default:
			granted = append(granted, sc)
		}
	}
	if len(granted) == 0 || (len(granted) == 1 && granted[0] == oauth.ScopeOfflineAccess) {
		// offline_access alone says nothing about the resource: the
		// resource's scopes come with it.
		var defaults []string
		for _, sc := range offered {
			if allowed(sc) {
				defaults = append(defaults, sc)
			}
		}
		if len(defaults) == 0 {
			return nil, "the client registered none of this server's scopes"
		}
		granted = append(defaults, granted...)
	}
	return granted, ""
}

// narrowScopes applies RFC 6749 §6 to a refresh: it may ask for fewer
// scopes, never more. Habitual and unknown scopes are dropped as at the
// authorization endpoint (mcp-remote sends "openid email profile" on
// refreshes); asking for a known scope that was not granted is refused
// whatever StrictScopes says, since it would widen the grant.
func (s *Server) narrowScopes(raw string, granted []string) ([]string, error) {
	var out []string
	for _, sc := range oauth.ParseScope(raw) {
		switch {
		case slices.Contains(granted, sc):
			out = append(out, sc)
		case slices.Contains(s.KnownScopes(), sc):
			return nil, oauth.NewError(oauth.ErrInvalidScope, "a refresh cannot add the scope "+sc)
		case s.cfg.StrictScopes && !slices.Contains(toleratedScopes, sc):
			return nil, oauth.NewError(oauth.ErrInvalidScope, "unknown scope "+sc)
		}
	}
	if len(out) == 0 {
		return granted, nil
	}
	return out, nil
}
