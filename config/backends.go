package config

import (
	"fmt"
	"slices"
	"strings"
)

// NamedBackend is one of several MCP servers behind one mcpgate, each its
// own protected resource at a path of its own. The backend section's
// other settings (timeout, identity headers, assertion, strip headers)
// apply to every backend.
type NamedBackend struct {
	// Name appears in the audit log and the default path.
	Name string `yaml:"name"`
	// Path of the backend on public_url; default mcp.path + "/" + name.
	// The resource identifier is public_url + path.
	Path string `yaml:"path"`
	// URL is the backend's MCP endpoint.
	URL string `yaml:"url"`
	// Scopes the resource knows; default mcp.scopes.
	Scopes []string `yaml:"scopes"`
	// Policy holds this backend's rules (policy.signin stays global).
	Policy BackendPolicy `yaml:"policy"`
}

// BackendPolicy is the part of the policy a backend has of its own.
type BackendPolicy struct {
	Rules []Rule `yaml:"rules"`
}

// Route is one protected MCP resource mcpgate serves: the default
// backend (backend.url at mcp.path) or a named one.
type Route struct {
	// Name is "" for the default backend.
	Name     string
	Path     string
	Resource string
	URL      string
	Scopes   []string
	Rules    []Rule
}

// Routes are the resources mcpgate serves, the default backend first.
// Meaningful only for a configuration that passed Validate.
func (c *Config) Routes() []Route {
	var out []Route
	if c.Backend.URL != "" {
		out = append(out, Route{Path: c.MCP.Path, Resource: c.ResourceURL(), URL: c.Backend.URL, Scopes: c.MCP.Scopes, Rules: c.Policy.Rules})
	}
	for _, b := range c.Backends {
		path := b.path(c.MCP.Path)
		scopes := b.Scopes
		if len(scopes) == 0 {
			scopes = c.MCP.Scopes
		}
		out = append(out, Route{Name: b.Name, Path: path, Resource: c.Issuer() + path, URL: b.URL, Scopes: scopes, Rules: b.Policy.Rules})
	}
	return out
}

func (b *NamedBackend) path(mcpPath string) string {
	if b.Path != "" {
		return b.Path
	}
	return mcpPath + "/" + b.Name
}

func (c *Config) validateBackends(p *Problems) {
	paths := map[string]string{}
	if c.Backend.URL != "" {
		paths[c.MCP.Path] = "mcp.path"
	}
	names := map[string]int{}
	for i, b := range c.Backends {
		key := fmt.Sprintf("backends[%d]", i)
		switch prev, dup := names[b.Name]; {
		case !validBackendName(b.Name):
			p.add(key+".name", "%q is not a name of lower-case letters, digits, - and _ (at most 64, starting with a letter or digit)", b.Name)
		case dup:
			p.add(key+".name", "%q is already the name of backends[%d]", b.Name, prev)
		default:
			names[b.Name] = i
		}
		pathKey := key + ".path"
		path := b.path(c.MCP.Path)
		checkMCPPath(p, pathKey, path)
		if other, dup := paths[path]; dup {
			p.add(pathKey, "%s is already the path of %s", path, other)
		}
		paths[path] = pathKey
		checkURL(p, key+".url", b.URL, urlRules{required: true})
		scopes := b.Scopes
		scopesKey := key + ".scopes"
		if len(scopes) == 0 {
			scopes, scopesKey = c.MCP.Scopes, "mcp.scopes"
		}
		checkScopes(p, key+".scopes", b.Scopes)
		for j, s := range b.Scopes {
			if slices.Contains(b.Scopes[:j], s) {
				p.add(key+".scopes", "entry %d (%q) is a duplicate", j+1, s)
			}
		}
		validateRules(p, key+".policy.rules", b.Policy.Rules, scopes, scopesKey)
	}
}

func validBackendName(s string) bool {
	if s == "" || len(s) > 64 || strings.IndexByte("-_", s[0]) >= 0 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}
