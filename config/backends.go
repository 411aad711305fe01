package config

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
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
	// URL is the backend's MCP endpoint; set either it or Command.
	URL string `yaml:"url"`
	// Command runs a stdio MCP server, one process per client session,
	// served to clients as streamable HTTP.
	Command []string `yaml:"command"`
	// Env is set in the process's environment, which otherwise holds
	// only PATH, HOME, LANG, LC_ALL, TZ and TMPDIR: never mcpgate's own.
	Env map[string]string `yaml:"env"`
	// IdentityEnv passes the user's identity to the process (MCP_USER_SUB,
	// MCP_USER_EMAIL, MCP_USER_NAME, MCP_USER_GROUPS, MCP_CLIENT_ID).
	IdentityEnv bool `yaml:"identity_env"`
	// IdleTimeout ends a session and its process after this long without
	// a request (default 10m).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxProcesses bounds the sessions (processes) at once (default 50);
	// past it new sessions are refused with 503.
	MaxProcesses int `yaml:"max_processes"`
	// Sessions is per_session (default: a process per client session) or
	// shared (one process serves every session).
	Sessions string `yaml:"sessions"`
	// Scopes the resource knows; default mcp.scopes.
	Scopes []string `yaml:"scopes"`
	// Policy holds this backend's rules (policy.signin stays global).
	Policy BackendPolicy `yaml:"policy"`
	// UpstreamTokenHeader sends this backend the user's IdP access token,
	// as backend.upstream_token_header does for the default backend.
	UpstreamTokenHeader string `yaml:"upstream_token_header"`
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
	// URL or, for a stdio backend, Command and its settings.
	URL          string
	Command      []string
	Env          map[string]string
	IdentityEnv  bool
	IdleTimeout  time.Duration
	MaxProcesses int
	// SharedProcess is sessions: shared.
	SharedProcess bool
	Scopes        []string
	Rules         []Rule
	// UpstreamTokenHeader carries the user's IdP access token; "" for
	// none.
	UpstreamTokenHeader string
}

// Routes are the resources mcpgate serves, the default backend first.
// Meaningful only for a configuration that passed Validate.
func (c *Config) Routes() []Route {
	var out []Route
	if c.Backend.URL != "" {
		out = append(out, Route{Path: c.MCP.Path, Resource: c.ResourceURL(), URL: c.Backend.URL, Scopes: c.MCP.Scopes, Rules: c.Policy.Rules,
			UpstreamTokenHeader: c.Backend.UpstreamTokenHeader})
	}
	for _, b := range c.Backends {
		path := b.path(c.MCP.Path)
		scopes := b.Scopes
		if len(scopes) == 0 {
			scopes = c.MCP.Scopes
		}
		out = append(out, Route{Name: b.Name, Path: path, Resource: c.Issuer() + path, URL: b.URL,
			Command: b.Command, Env: b.Env, IdentityEnv: b.IdentityEnv, IdleTimeout: b.IdleTimeout, MaxProcesses: b.MaxProcesses,
			SharedProcess: b.Sessions == SessionsShared, Scopes: scopes, Rules: b.Policy.Rules, UpstreamTokenHeader: b.UpstreamTokenHeader})
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
	names := map[string]string{}
	for i, b := range c.Backends {
		key := fmt.Sprintf("backends[%d]", i)
		checkItemName(p, key, b.Name, names)
		pathKey := key + ".path"
		path := b.path(c.MCP.Path)
		checkMCPPath(p, pathKey, path)
		if other, dup := paths[path]; dup {
			p.add(pathKey, "%s is already the path of %s", path, other)
		}
		paths[path] = pathKey
		switch {
		case b.URL != "" && len(b.Command) > 0:
			p.add(key+".command", "set either url or command, not both")
		case len(b.Command) > 0:
			b.validateCommand(p, key)
			if b.UpstreamTokenHeader != "" {
				// A process serves a session, not a request: a token
				// renewed under it could not reach it.
				p.add(key+".upstream_token_header", "applies to a backend with url only")
			}
		default:
			checkURL(p, key+".url", b.URL, urlRules{required: true})
			b.refuseCommandSettings(p, key)
		}
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
		validateRules(p, key+".policy.rules", b.Policy.Rules, scopes, scopesKey, c.idpNames())
		c.Backend.checkUpstreamTokenHeader(p, key+".upstream_token_header", b.UpstreamTokenHeader)
	}
}

// checkItemName checks the name of the list item at key, unique among
// names (name → the key of the item that has it).
func checkItemName(p *Problems, key, name string, names map[string]string) {
	switch prev, dup := names[name]; {
	case !validBackendName(name):
		p.add(key+".name", "%q is not a name of lower-case letters, digits, - and _ (at most 64, starting with a letter or digit)", name)
	case dup:
		p.add(key+".name", "%q is already the name of %s", name, prev)
	default:
		names[name] = key
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

func (b *NamedBackend) validateCommand(p *Problems, key string) {
	if b.Command[0] == "" {
		p.add(key+".command", "the first entry is the program to run")
	} else if _, err := exec.LookPath(b.Command[0]); err != nil {
		p.add(key+".command", "%q is not an executable file (absolute, or found in PATH)", b.Command[0])
	}
	for k := range b.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.HasPrefix(strings.ToUpper(k), "MCPGATE_") {
			p.add(key+".env", "%q is not a variable a backend may be given", k)
		}
	}
	if b.IdleTimeout < 0 {
		p.add(key+".idle_timeout", "must not be negative")
	}
	if b.MaxProcesses < 0 {
		p.add(key+".max_processes", "must not be negative")
	}
	switch b.Sessions {
	case "", SessionsPerSession:
	case SessionsShared:
		if b.IdentityEnv {
			p.add(key+".identity_env", "needs sessions: %s (a shared process serves many users at once)", SessionsPerSession)
		}
	default:
		p.add(key+".sessions", "%q is neither %s nor %s", b.Sessions, SessionsPerSession, SessionsShared)
	}
}

// The values of a backend's sessions setting.
const (
	SessionsPerSession = "per_session"
	SessionsShared     = "shared"
)

// refuseCommandSettings reports the settings of a stdio backend given to
// one with a url, where they would silently do nothing.
func (b *NamedBackend) refuseCommandSettings(p *Problems, key string) {
	set := map[string]bool{"env": len(b.Env) > 0, "identity_env": b.IdentityEnv, "idle_timeout": b.IdleTimeout != 0,
		"max_processes": b.MaxProcesses != 0, "sessions": b.Sessions != ""}
	for _, name := range []string{"env", "identity_env", "idle_timeout", "max_processes", "sessions"} {
		if set[name] {
			p.add(key+"."+name, "applies to a backend with command only")
		}
	}
}
