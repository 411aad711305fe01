package proxy

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mcpgate/mcpgate/proxy/forward"
	"github.com/mcpgate/mcpgate/proxy/policy"
)

// Route is one protected MCP resource mcpgate serves: where, what it is
// called, which scopes it knows, where its requests go and the rules they
// meet. Several backends are several routes.
type Route struct {
	// Name appears in the audit log; "" for the default backend, which
	// also answers /.well-known/oauth-protected-resource alone.
	Name string
	// Path is the MCP endpoint's path; Resource the RFC 8707 identifier
	// (the issuer + Path), the audience of its tokens.
	Path     string
	Resource string
	Scopes   []string
	// Forwarder carries authorized requests to the backend (an HTTP
	// reverse proxy, or stdio processes); nil answers 502.
	Forwarder Forwarder
	// Policy holds the route's rules (and the global sign-in policy).
	Policy *policy.Current
	// UpstreamToken gives each forwarded request the user's IdP access
	// token (forward.WithUpstreamToken), for a Forwarder that sends it.
	UpstreamToken bool
}

// Forwarder is a backend: it answers an authorized MCP request on behalf
// of the identity mcpgate verified.
type Forwarder interface {
	Forward(w http.ResponseWriter, r *http.Request, id *forward.Identity)
}

// metadataURL is where the route's protected resource metadata is
// (RFC 9728 §3.1: the well-known prefix before the resource's path).
func (rt *Route) metadataURL(issuer string) string {
	return issuer + "/.well-known/oauth-protected-resource" + rt.Path
}

func checkRoutes(routes []Route) error {
	if len(routes) == 0 {
		return errors.New("proxy: at least one MCP route is required")
	}
	paths := map[string]bool{}
	for _, rt := range routes {
		if rt.Path == "" || rt.Resource == "" {
			return errors.New("proxy: every route needs a path and a resource")
		}
		if paths[rt.Path] {
			return fmt.Errorf("proxy: two routes at %s", rt.Path)
		}
		paths[rt.Path] = true
	}
	return nil
}
