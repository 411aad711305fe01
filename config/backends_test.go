package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidateBackends(t *testing.T) {
	tools := func() NamedBackend {
		return NamedBackend{Name: "tools", URL: "http://tools.internal:9000/mcp"}
	}
	runValidateCases(t, []validateCase{
		{name: "one named backend beside the default", change: func(c *Config) { c.Backends = []NamedBackend{tools()} }},
		{name: "named backends only", change: func(c *Config) {
			c.Backend.URL = ""
			files := tools()
			files.Name, files.Path = "files", "/files"
			c.Backends = []NamedBackend{tools(), files}
		}},
		{name: "no backend at all", change: func(c *Config) { c.Backend.URL = "" }, wantKeys: []string{"backend.url"}, wantMsg: "required"},
		{name: "name missing", change: func(c *Config) { b := tools(); b.Name = ""; c.Backends = []NamedBackend{b} },
			wantKeys: []string{"backends[0].name", "backends[0].path"}, wantMsg: "is not a name"},
		{name: "name with a slash", change: func(c *Config) { b := tools(); b.Name = "a/b"; c.Backends = []NamedBackend{b} },
			wantKeys: []string{"backends[0].name"}, wantMsg: "is not a name"},
		{name: "two backends, one name", change: func(c *Config) { c.Backends = []NamedBackend{tools(), tools()} },
			wantKeys: []string{"backends[1].name", "backends[1].path"}, wantMsg: `"tools" is already the name of backends[0]`},
		{name: "path of the default backend", change: func(c *Config) { b := tools(); b.Path = "/mcp"; c.Backends = []NamedBackend{b} },
			wantKeys: []string{"backends[0].path"}, wantMsg: "already the path of mcp.path"},
		{name: "path on an endpoint of mcpgate", change: func(c *Config) { b := tools(); b.Path = "/token"; c.Backends = []NamedBackend{b} },
			wantKeys: []string{"backends[0].path"}, wantMsg: "clashes with mcpgate's own endpoint"},
		{name: "url missing", change: func(c *Config) { b := tools(); b.URL = ""; c.Backends = []NamedBackend{b} },
			wantKeys: []string{"backends[0].url"}, wantMsg: "required"},
		{name: "stdio backend", change: func(c *Config) {
			c.Backends = []NamedBackend{{Name: "files", Command: []string{"sh", "-c", "exec cat"}, Env: map[string]string{"LOG_LEVEL": "info"}, IdentityEnv: true, MaxProcesses: 3}}
		}},
		{name: "stdio backend, one shared process", change: func(c *Config) {
			c.Backends = []NamedBackend{{Name: "files", Command: []string{"sh"}, Sessions: "shared", IdleTimeout: time.Minute}}
		}},
		{name: "shared process with the user's identity", change: func(c *Config) {
			c.Backends = []NamedBackend{{Name: "files", Command: []string{"sh"}, Sessions: "shared", IdentityEnv: true}}
		}, wantKeys: []string{"backends[0].identity_env"}, wantMsg: "needs sessions: per_session"},
		{name: "unknown sessions", change: func(c *Config) {
			c.Backends = []NamedBackend{{Name: "files", Command: []string{"sh"}, Sessions: "pooled"}}
		}, wantKeys: []string{"backends[0].sessions"}, wantMsg: `"pooled" is neither per_session nor shared`},
		{name: "stdio settings on a url backend", change: func(c *Config) {
			b := tools()
			b.IdentityEnv, b.Sessions, b.MaxProcesses = true, "shared", 3
			c.Backends = []NamedBackend{b}
		}, wantKeys: []string{"backends[0].identity_env", "backends[0].max_processes", "backends[0].sessions"}, wantMsg: "applies to a backend with command only"},
		{name: "stdio program missing", change: func(c *Config) {
			c.Backends = []NamedBackend{{Name: "files", Command: []string{"/nonexistent/files-server"}}}
		}, wantKeys: []string{"backends[0].command"}, wantMsg: "not an executable"},
		{name: "url and command", change: func(c *Config) {
			c.Backends = []NamedBackend{{Name: "files", URL: "http://x/mcp", Command: []string{"sh"}}}
		}, wantKeys: []string{"backends[0].command"}, wantMsg: "either url or command"},
		{name: "env naming an mcpgate variable", change: func(c *Config) {
			c.Backends = []NamedBackend{{Name: "files", Command: []string{"sh"}, Env: map[string]string{"MCPGATE_SESSION_SECRET": "x"}}}
		}, wantKeys: []string{"backends[0].env"}, wantMsg: "not a variable"},
		{name: "own scopes and a rule using one", change: func(c *Config) {
			b := tools()
			b.Scopes = []string{"tools", "tools:write"}
			b.Policy.Rules = []Rule{{Name: "w", Scope: "tools:write", Allow: Permissions{Tools: []string{"*"}}}}
			c.Backends = []NamedBackend{b}
		}},
		{name: "rule scope not among the backend's", change: func(c *Config) {
			b := tools()
			b.Scopes = []string{"tools"}
			b.Policy.Rules = []Rule{{Name: "w", Scope: "mcp", Allow: Permissions{Tools: []string{"*"}}}}
			c.Backends = []NamedBackend{b}
		}, wantKeys: []string{"backends[0].policy.rules[0].scope"}, wantMsg: `"mcp" is not one of backends[0].scopes`},
		{name: "the IdP's token to the default backend, in Authorization", change: func(c *Config) { c.Backend.UpstreamTokenHeader = "Authorization" }},
		{name: "the IdP's token to a named backend", change: func(c *Config) {
			b := tools()
			b.UpstreamTokenHeader = "X-Upstream-Token"
			c.Backends = []NamedBackend{b}
		}},
		{name: "the IdP's token in a transport header", change: func(c *Config) { c.Backend.UpstreamTokenHeader = "Mcp-Session-Id" },
			wantKeys: []string{"backend.upstream_token_header"}, wantMsg: "uses itself"},
		{name: "the IdP's token in an identity header", change: func(c *Config) { c.Backend.UpstreamTokenHeader = "x-forwarded-user" },
			wantKeys: []string{"backend.upstream_token_header"}, wantMsg: "already carries the identity"},
		{name: "the IdP's token in a malformed header", change: func(c *Config) { c.Backend.UpstreamTokenHeader = "X Token" },
			wantKeys: []string{"backend.upstream_token_header"}, wantMsg: "not a valid HTTP header name"},
		{name: "the IdP's token to a stdio backend", change: func(c *Config) {
			c.Backends = []NamedBackend{{Name: "files", Command: []string{"sh"}, UpstreamTokenHeader: "X-Upstream-Token"}}
		}, wantKeys: []string{"backends[0].upstream_token_header"}, wantMsg: "applies to a backend with url only"},
		{name: "empty rule", change: func(c *Config) {
			b := tools()
			b.Policy.Rules = []Rule{{Name: "x"}}
			c.Backends = []NamedBackend{b}
		}, wantKeys: []string{"backends[0].policy.rules[0]"}, wantMsg: "allows and denies nothing"},
	})
}

func TestRoutes(t *testing.T) {
	c := validConfig()
	c.MCP.Scopes = []string{"mcp"}
	c.Backends = []NamedBackend{
		{Name: "tools", URL: "http://tools:9000/mcp", Policy: BackendPolicy{Rules: []Rule{{Name: "r", Allow: Permissions{Tools: []string{"*"}}}}}},
		{Name: "files", Path: "/files", URL: "http://files:9000/mcp", Scopes: []string{"files"}},
	}
	c.Policy.Rules = []Rule{{Name: "default", Allow: Permissions{Tools: []string{"echo"}}}}
	got := c.Routes()
	want := []struct{ name, path, resource, url, scopes, rule string }{
		{"", "/mcp", "https://mcp.example.com/mcp", "http://localhost:3000/mcp", "mcp", "default"},
		{"tools", "/mcp/tools", "https://mcp.example.com/mcp/tools", "http://tools:9000/mcp", "mcp", "r"},
		{"files", "/files", "https://mcp.example.com/files", "http://files:9000/mcp", "files", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d routes, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		rule := ""
		if len(g.Rules) > 0 {
			rule = g.Rules[0].Name
		}
		if g.Name != w.name || g.Path != w.path || g.Resource != w.resource || g.URL != w.url || strings.Join(g.Scopes, " ") != w.scopes || rule != w.rule {
			t.Errorf("route %d: got %+v, want %+v", i, g, w)
		}
	}
}

// TestLoadBackends: the list of backends, with their rules, from YAML and
// from MCPGATE_BACKENDS, as strictly in both.
func TestLoadBackends(t *testing.T) {
	yaml := `backends:
  - name: tools
    url: http://tools:9000/mcp
    scopes: [mcp, "mcp:write"]
    policy:
      rules:
        - name: eng
          groups: [eng]
          allow:
            tools: ["*"]
`
	c, err := Load(writeFile(t, "mcpgate.yaml", yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Backends) != 1 || len(c.Backends[0].Policy.Rules) != 1 || !slices.Equal(c.Backends[0].Policy.Rules[0].Allow.Tools, []string{"*"}) {
		t.Errorf("got %+v", c.Backends)
	}
	c, err = Load("", []string{`MCPGATE_BACKENDS=[{"name":"tools","url":"http://tools:9000/mcp","policy":{"rules":[{"name":"eng","groups":["eng"],"deny":{"tools":["x"]}}]}}]`})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Backends) != 1 || len(c.Backends[0].Policy.Rules) != 1 || !slices.Equal(c.Backends[0].Policy.Rules[0].Deny.Tools, []string{"x"}) {
		t.Errorf("got %+v", c.Backends)
	}
	_, err = Load("", []string{`MCPGATE_BACKENDS=[{"name":"tools","policy":{"rules":[{"name":"eng","alow":{}}]}}]`})
	ps := problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), "backends[0].policy.rules[0].alow: unknown key") {
		t.Errorf("got %v, want the misspelt key named with its path", ps)
	}
	_, err = Load(writeFile(t, "mcpgate.yaml", strings.Replace(yaml, "allow:", "alow:", 1)), nil)
	ps = problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), "backends[0].policy.rules[0].alow") {
		t.Errorf("got %v, want the misspelt key named with its path", ps)
	}
}

// TestLoadStdioBackend: a stdio backend's settings, from YAML and from
// MCPGATE_BACKENDS, reach its route.
func TestLoadStdioBackend(t *testing.T) {
	yaml := `backends:
  - name: files
    command: [sh, -c, "exec cat"]
    env: {LOG_LEVEL: info}
    sessions: shared
    idle_timeout: 90s
    max_processes: 7
`
	fromEnv := `MCPGATE_BACKENDS=[{"name":"files","command":["sh","-c","exec cat"],"env":{"LOG_LEVEL":"info"},"sessions":"shared","idle_timeout":"90s","max_processes":7}]`
	for name, load := range map[string]func() (*Config, error){
		"yaml": func() (*Config, error) { return Load(writeFile(t, "mcpgate.yaml", yaml), nil) },
		"env":  func() (*Config, error) { return Load("", []string{fromEnv}) },
	} {
		t.Run(name, func(t *testing.T) {
			c, err := load()
			if err != nil {
				t.Fatal(err)
			}
			routes := c.Routes()
			if len(routes) != 1 {
				t.Fatalf("routes: %+v", routes)
			}
			r := routes[0]
			if !r.SharedProcess || r.IdleTimeout != 90*time.Second || r.MaxProcesses != 7 || r.Env["LOG_LEVEL"] != "info" ||
				!slices.Equal(r.Command, []string{"sh", "-c", "exec cat"}) || r.Path != "/mcp/files" {
				t.Errorf("route: %+v", r)
			}
		})
	}
}
