package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []validateCase{
		{name: "valid", change: func(*Config) {}},

		{name: "trusted proxies", change: func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "fd00::/8"} }},
		{name: "trusted proxy not a CIDR", change: func(c *Config) { c.TrustedProxies = []string{"10.0.0.1"} }, wantKeys: []string{"trusted_proxies[0]"}, wantMsg: "not a CIDR"},
		{name: "encryption key", change: func(c *Config) { c.EncryptionKey = strings.Repeat("k", 32) }},
		{name: "encryption key too short", change: func(c *Config) { c.EncryptionKey = "short" }, wantKeys: []string{"encryption_key"}, wantMsg: "at least 32 bytes"},

		// upstream redirect URL
		{name: "redirect_url on own origin", change: func(c *Config) { c.Upstream.RedirectURL = "https://mcp.example.com/sso/callback" }},
		{name: "redirect_url on another host", change: func(c *Config) { c.Upstream.RedirectURL = "https://other.example.com/oauth/callback" }, wantKeys: []string{"upstream.redirect_url"}, wantMsg: "origin"},
		{name: "redirect_url on the MCP path", change: func(c *Config) { c.Upstream.RedirectURL = "https://mcp.example.com/mcp" }, wantKeys: []string{"upstream.redirect_url"}, wantMsg: "taken"},
		{name: "redirect_url on the token endpoint", change: func(c *Config) { c.Upstream.RedirectURL = "https://mcp.example.com/token" }, wantKeys: []string{"upstream.redirect_url"}, wantMsg: "taken"},

		// backend forwarding
		{name: "backend timeout zero", change: func(c *Config) { c.Backend.Timeout = 0 }, wantKeys: []string{"backend.timeout"}, wantMsg: "positive"},
		{name: "identity header with a space", change: func(c *Config) { c.Backend.IdentityHeaders.User = "X User" }, wantKeys: []string{"backend.identity_headers.user"}, wantMsg: "not a valid HTTP header name"},
		{name: "identity header is Authorization", change: func(c *Config) { c.Backend.IdentityHeaders.Email = "Authorization" }, wantKeys: []string{"backend.identity_headers.email"}, wantMsg: "uses itself"},
		{name: "identity header is an MCP header", change: func(c *Config) { c.Backend.IdentityHeaders.Groups = "Mcp-Param-User" }, wantKeys: []string{"backend.identity_headers.groups"}, wantMsg: "uses itself"},
		{name: "identity header used twice", change: func(c *Config) { c.Backend.IdentityHeaders.Name = "x-forwarded-user" }, wantKeys: []string{"backend.identity_headers.name"}, wantMsg: "already used"},
		{name: "identity headers off", change: func(c *Config) { c.Backend.IdentityHeaders = IdentityHeaders{} }},
		{name: "assertion on", change: func(c *Config) { c.Backend.Assertion.Header = "X-Identity-Assertion" }},
		{name: "assertion without ttl", change: func(c *Config) { c.Backend.Assertion = Assertion{Header: "X-A"} }, wantKeys: []string{"backend.assertion.ttl"}, wantMsg: "positive"},
		{name: "allowed origin", change: func(c *Config) { c.MCP.AllowedOrigins = []string{"http://localhost:6274"} }},
		{name: "allowed origin with a path", change: func(c *Config) { c.MCP.AllowedOrigins = []string{"https://app.example.com/x"} }, wantKeys: []string{"mcp.allowed_origins[0]"}, wantMsg: "not an origin"},
		{name: "allowed origin wildcard", change: func(c *Config) { c.MCP.AllowedOrigins = []string{"*"} }, wantKeys: []string{"mcp.allowed_origins[0]"}, wantMsg: "not an origin"},

		// limits
		{name: "max header bytes too small", change: func(c *Config) { c.Limits.MaxHeaderBytes = 100 }, wantKeys: []string{"limits.max_header_bytes"}, wantMsg: "at least 4096"},

		// tracing
		{name: "tracing endpoint", change: func(c *Config) { c.Tracing.OTLPEndpoint = "http://otel-collector:4318" }},
		{name: "tracing endpoint relative", change: func(c *Config) { c.Tracing.OTLPEndpoint = "otel-collector:4318" }, wantKeys: []string{"tracing.otlp_endpoint"}},
		{name: "tracing endpoint with query", change: func(c *Config) { c.Tracing.OTLPEndpoint = "http://otel:4318?x=1" }, wantKeys: []string{"tracing.otlp_endpoint"}, wantMsg: "query"},
		{name: "sample ratio zero", change: func(c *Config) { c.Tracing.SampleRatio = 0 }},
		{name: "sample ratio above one", change: func(c *Config) { c.Tracing.SampleRatio = 1.5 }, wantKeys: []string{"tracing.sample_ratio"}, wantMsg: "from 0 to 1"},
		{name: "sample ratio negative", change: func(c *Config) { c.Tracing.SampleRatio = -0.1 }, wantKeys: []string{"tracing.sample_ratio"}, wantMsg: "from 0 to 1"},

		// public_url
		{name: "public_url missing", change: func(c *Config) { c.PublicURL = "" }, wantKeys: []string{"public_url"}, wantMsg: "required"},
		{name: "public_url relative", change: func(c *Config) { c.PublicURL = "mcp.example.com" }, wantKeys: []string{"public_url"}, wantMsg: "absolute http or https URL"},
		{name: "public_url not http", change: func(c *Config) { c.PublicURL = "ftp://mcp.example.com" }, wantKeys: []string{"public_url"}, wantMsg: "absolute http or https URL"},
		{name: "public_url unparsable", change: func(c *Config) { c.PublicURL = "https://mcp example.com" }, wantKeys: []string{"public_url"}, wantMsg: "not a valid URL"},
		{name: "public_url with path", change: func(c *Config) { c.PublicURL = "https://mcp.example.com/gw" }, wantKeys: []string{"public_url"}, wantMsg: "must not have a path"},
		{name: "public_url with trailing slash", change: func(c *Config) { c.PublicURL = "https://mcp.example.com/" }},
		{name: "public_url with port", change: func(c *Config) { c.PublicURL = "https://mcp.example.com:8443" }},
		{name: "public_url with query", change: func(c *Config) { c.PublicURL = "https://mcp.example.com?a=b" }, wantKeys: []string{"public_url"}, wantMsg: "query"},
		{name: "public_url with fragment", change: func(c *Config) { c.PublicURL = "https://mcp.example.com#x" }, wantKeys: []string{"public_url"}, wantMsg: "fragment"},
		{name: "public_url with credentials", change: func(c *Config) { c.PublicURL = "https://u:p@mcp.example.com" }, wantKeys: []string{"public_url"}, wantMsg: "credentials"},
		{name: "public_url http on a public host", change: func(c *Config) { c.PublicURL = "http://mcp.example.com" }, wantKeys: []string{"public_url"}, wantMsg: "must use https"},
		{name: "public_url http on localhost", change: func(c *Config) { c.PublicURL = "http://localhost:8080" }},
		{name: "public_url http on 127.0.0.0/8", change: func(c *Config) { c.PublicURL = "http://127.1.2.3:8080" }},
		{name: "public_url http on ::1", change: func(c *Config) { c.PublicURL = "http://[::1]:8080" }},
		{name: "public_url http on a private address", change: func(c *Config) { c.PublicURL = "http://10.0.0.1" }, wantKeys: []string{"public_url"}, wantMsg: "must use https"},
		{name: "public_url http on a public host, explicitly allowed", change: func(c *Config) {
			c.PublicURL, c.AllowInsecurePublicURL = "http://mcp.example.com", true
		}},
		{
			name:     "public_url several mistakes",
			change:   func(c *Config) { c.PublicURL = "http://mcp.example.com/gw?a#b" },
			wantKeys: []string{"public_url", "public_url", "public_url", "public_url"},
		},

		// listen
		{name: "listen empty", change: func(c *Config) { c.Listen = "" }, wantKeys: []string{"listen"}, wantMsg: "required"},
		{name: "listen without port", change: func(c *Config) { c.Listen = "localhost" }, wantKeys: []string{"listen"}, wantMsg: "host:port"},
		{name: "listen named port", change: func(c *Config) { c.Listen = ":http" }, wantKeys: []string{"listen"}, wantMsg: "port must be a number"},
		{name: "listen port too big", change: func(c *Config) { c.Listen = ":65536" }, wantKeys: []string{"listen"}, wantMsg: "port must be a number"},
		{name: "listen IPv6", change: func(c *Config) { c.Listen = "[::1]:8080" }},

		// store
		{name: "store empty", change: func(c *Config) { c.Store = "" }, wantKeys: []string{"store"}, wantMsg: "required"},
		{name: "store memory", change: func(c *Config) { c.Store = "memory:" }},
		{name: "store sqlite absolute", change: func(c *Config) { c.Store = "sqlite:///var/lib/mcpgate.db" }},
		{name: "store sqlite without //", change: func(c *Config) { c.Store = "sqlite:mcpgate.db" }, wantKeys: []string{"store"}, wantMsg: "want sqlite:///absolute/path"},
		{name: "store postgres", change: func(c *Config) { c.Store = "postgres://u:pw@db/mcpgate" }},
		{name: "store redis", change: func(c *Config) { c.Store = "redis://cache:6379" }},
		{name: "store postgres secret never echoed", change: func(c *Config) { c.Store = "postgres:pw" }, wantKeys: []string{"store"}, wantMsg: "want postgres://"},
		{name: "store unknown scheme", change: func(c *Config) { c.Store = "mysql://db" }, wantKeys: []string{"store"}, wantMsg: `unknown scheme "mysql"`},
		{name: "store bare path", change: func(c *Config) { c.Store = "mcpgate.db" }, wantKeys: []string{"store"}, wantMsg: "want a URL"},

		// log_level
		{name: "log_level warn", change: func(c *Config) { c.LogLevel = "warn" }},
		{name: "log_level unknown", change: func(c *Config) { c.LogLevel = "verbose" }, wantKeys: []string{"log_level"}, wantMsg: "debug, info, warn, error"},
		{name: "log_level upper case", change: func(c *Config) { c.LogLevel = "INFO" }, wantKeys: []string{"log_level"}},

		// upstream
		{name: "upstream.issuer missing", change: func(c *Config) { c.Upstream.Issuer = "" }, wantKeys: []string{"upstream.issuer"}, wantMsg: "required"},
		{name: "upstream.issuer http", change: func(c *Config) { c.Upstream.Issuer = "http://idp.example.com" }, wantKeys: []string{"upstream.issuer"}, wantMsg: "must use https"},
		{name: "upstream.issuer http on localhost", change: func(c *Config) { c.Upstream.Issuer = "http://localhost:5556/dex" }},
		{name: "upstream.issuer with path", change: func(c *Config) { c.Upstream.Issuer = "https://login.microsoftonline.com/tenant/v2.0" }},
		{name: "upstream.issuer with query", change: func(c *Config) { c.Upstream.Issuer = "https://idp.example.com?x=1" }, wantKeys: []string{"upstream.issuer"}, wantMsg: "query"},
		{name: "upstream.client_id missing", change: func(c *Config) { c.Upstream.ClientID = "" }, wantKeys: []string{"upstream.client_id"}, wantMsg: "required"},
		{name: "upstream.redirect_url set", change: func(c *Config) { c.Upstream.RedirectURL = "https://mcp.example.com/cb" }},
		{name: "upstream.redirect_url relative", change: func(c *Config) { c.Upstream.RedirectURL = "/oauth/callback" }, wantKeys: []string{"upstream.redirect_url"}, wantMsg: "absolute"},
		{name: "upstream.redirect_url with fragment", change: func(c *Config) { c.Upstream.RedirectURL = "https://mcp.example.com/cb#x" }, wantKeys: []string{"upstream.redirect_url"}, wantMsg: "fragment"},
		{name: "upstream.scopes invalid", change: func(c *Config) { c.Upstream.Scopes = []string{"openid", "a b"} }, wantKeys: []string{"upstream.scopes"}, wantMsg: `entry 2 ("a b")`},
		{name: "upstream.scopes empty", change: func(c *Config) { c.Upstream.Scopes = nil }},
		{name: "upstream.auth_params allowed", change: func(c *Config) { c.Upstream.AuthParams = map[string]string{"access_type": "offline"} }},
		{
			name: "upstream.auth_params reserved",
			change: func(c *Config) {
				c.Upstream.AuthParams = map[string]string{"state": "x", "prompt": "consent", "nonce": "y"}
			},
			wantKeys: []string{"upstream.auth_params.nonce", "upstream.auth_params.state"},
			wantMsg:  "set by mcpgate itself",
		},

		// backend
		{name: "backend.url missing", change: func(c *Config) { c.Backend.URL = "" }, wantKeys: []string{"backend.url"}, wantMsg: "required"},
		{name: "backend.url relative", change: func(c *Config) { c.Backend.URL = "backend:3000" }, wantKeys: []string{"backend.url"}, wantMsg: "absolute"},
		{name: "backend.url not http", change: func(c *Config) { c.Backend.URL = "unix:///run/mcp.sock" }, wantKeys: []string{"backend.url"}},
		{name: "backend.url plain http inside", change: func(c *Config) { c.Backend.URL = "http://mcp-server.internal:8000/mcp" }},

		// mcp.path
		{name: "mcp.path empty", change: func(c *Config) { c.MCP.Path = "" }, wantKeys: []string{"mcp.path"}, wantMsg: "required"},
		{name: "mcp.path relative", change: func(c *Config) { c.MCP.Path = "mcp" }, wantKeys: []string{"mcp.path"}, wantMsg: "start with /"},
		{name: "mcp.path root", change: func(c *Config) { c.MCP.Path = "/" }, wantKeys: []string{"mcp.path"}, wantMsg: "/ alone"},
		{name: "mcp.path trailing slash", change: func(c *Config) { c.MCP.Path = "/mcp/" }, wantKeys: []string{"mcp.path"}, wantMsg: "end with /"},
		{name: "mcp.path nested", change: func(c *Config) { c.MCP.Path = "/api/v1/mcp" }},
		{name: "mcp.path /token", change: func(c *Config) { c.MCP.Path = "/token" }, wantKeys: []string{"mcp.path"}, wantMsg: "own endpoint /token"},
		{name: "mcp.path /tokens is not /token", change: func(c *Config) { c.MCP.Path = "/tokens" }},
		{name: "mcp.path under /authorize", change: func(c *Config) { c.MCP.Path = "/authorize/mcp" }, wantKeys: []string{"mcp.path"}, wantMsg: "/authorize"},
		{name: "mcp.path callback", change: func(c *Config) { c.MCP.Path = "/oauth/callback" }, wantKeys: []string{"mcp.path"}, wantMsg: "/oauth/callback"},
		{name: "mcp.path above callback", change: func(c *Config) { c.MCP.Path = "/oauth" }, wantKeys: []string{"mcp.path"}, wantMsg: "/oauth/callback"},
		{name: "mcp.path well-known", change: func(c *Config) { c.MCP.Path = "/.well-known/mcp" }, wantKeys: []string{"mcp.path"}, wantMsg: "/.well-known"},
		{name: "mcp.path other reserved", change: func(c *Config) { c.MCP.Path = "/jwks" }, wantKeys: []string{"mcp.path"}},
		{name: "mcp.path double slash", change: func(c *Config) { c.MCP.Path = "/a//mcp" }, wantKeys: []string{"mcp.path"}, wantMsg: "clean path"},
		{name: "mcp.path dot dot", change: func(c *Config) { c.MCP.Path = "/a/../mcp" }, wantKeys: []string{"mcp.path"}, wantMsg: "clean path"},
		{name: "mcp.path with space", change: func(c *Config) { c.MCP.Path = "/my mcp" }, wantKeys: []string{"mcp.path"}, wantMsg: "may contain only"},
		{name: "mcp.path with query", change: func(c *Config) { c.MCP.Path = "/mcp?x=1" }, wantKeys: []string{"mcp.path"}, wantMsg: "may contain only"},

		// mcp.scopes
		{name: "mcp.scopes none", change: func(c *Config) { c.MCP.Scopes = nil }, wantKeys: []string{"mcp.scopes"}, wantMsg: "at least one"},
		{name: "mcp.scopes with colon", change: func(c *Config) { c.MCP.Scopes = []string{"mcp", "mcp:read"} }},
		{name: "mcp.scopes with space", change: func(c *Config) { c.MCP.Scopes = []string{"mcp read"} }, wantKeys: []string{"mcp.scopes"}, wantMsg: "not a valid scope"},
		{name: "mcp.scopes with quote", change: func(c *Config) { c.MCP.Scopes = []string{`mcp"`} }, wantKeys: []string{"mcp.scopes"}},
		{name: "mcp.scopes with backslash", change: func(c *Config) { c.MCP.Scopes = []string{`mcp\x`} }, wantKeys: []string{"mcp.scopes"}},
		{name: "mcp.scopes non-ASCII", change: func(c *Config) { c.MCP.Scopes = []string{"mcpé"} }, wantKeys: []string{"mcp.scopes"}},
		{name: "mcp.scopes empty entry", change: func(c *Config) { c.MCP.Scopes = []string{""} }, wantKeys: []string{"mcp.scopes"}},
		{name: "mcp.scopes duplicate", change: func(c *Config) { c.MCP.Scopes = []string{"mcp", "mcp"} }, wantKeys: []string{"mcp.scopes"}, wantMsg: "duplicate"},

		// tokens
		{name: "tokens.access_token_ttl zero", change: func(c *Config) { c.Tokens.AccessTokenTTL = 0 }, wantKeys: []string{"tokens.access_token_ttl"}, wantMsg: "positive"},
		{name: "tokens.refresh_token_ttl negative", change: func(c *Config) { c.Tokens.RefreshTokenTTL = -time.Hour }, wantKeys: []string{"tokens.refresh_token_ttl"}, wantMsg: "positive"},
		{name: "allowed_hosts valid", change: func(c *Config) {
			c.AllowedHosts = []string{"mcp.internal", "mcp.internal:8443", "10.0.0.7:8080", "[::1]:8080", "[fd00::1]"}
		}},
		{name: "allowed_hosts with scheme", change: func(c *Config) { c.AllowedHosts = []string{"https://mcp.internal"} }, wantKeys: []string{"allowed_hosts[0]"}, wantMsg: "host:port"},
		{name: "allowed_hosts wildcard", change: func(c *Config) { c.AllowedHosts = []string{"*.internal"} }, wantKeys: []string{"allowed_hosts[0]"}, wantMsg: "host:port"},
		{name: "allowed_hosts bad port", change: func(c *Config) { c.AllowedHosts = []string{"mcp.internal:http"} }, wantKeys: []string{"allowed_hosts[0]"}, wantMsg: "host:port"},
		{name: "allowed_hosts bare IPv6", change: func(c *Config) { c.AllowedHosts = []string{"::1"} }, wantKeys: []string{"allowed_hosts[0]"}, wantMsg: "host:port"},
		{name: "backend.strip_headers valid", change: func(c *Config) { c.Backend.StripHeaders = []string{"X-Tenant", "X-Internal-*", "x_legacy_role"} }},
		{name: "backend.strip_headers bad name", change: func(c *Config) { c.Backend.StripHeaders = []string{"X Tenant"} }, wantKeys: []string{"backend.strip_headers[0]"}, wantMsg: "not a header name"},
		{name: "backend.strip_headers inner star", change: func(c *Config) { c.Backend.StripHeaders = []string{"X-*-Role"} }, wantKeys: []string{"backend.strip_headers[0]"}, wantMsg: "not a header name"},
		{name: "backend.strip_headers session id", change: func(c *Config) { c.Backend.StripHeaders = []string{"Mcp-Session-Id"} }, wantKeys: []string{"backend.strip_headers[0]"}, wantMsg: "transport needs"},
		{name: "backend.strip_headers Mcp family", change: func(c *Config) { c.Backend.StripHeaders = []string{"Mcp-*"} }, wantKeys: []string{"backend.strip_headers[0]"}, wantMsg: "transport needs"},
		{name: "limits.mcp_body_bytes too small", change: func(c *Config) { c.Limits.MCPBodyBytes = 64 }, wantKeys: []string{"limits.mcp_body_bytes"}, wantMsg: "at least 1024"},
		{name: "limits.mcp_body_bytes 1 KiB", change: func(c *Config) { c.Limits.MCPBodyBytes = 1024 }},
		{name: "limits.authorize_rate_limit negative", change: func(c *Config) { c.Limits.AuthorizeRateLimit = -1 }, wantKeys: []string{"limits.authorize_rate_limit"}, wantMsg: "negative"},
		{name: "limits.body_read_timeout zero", change: func(c *Config) { c.Limits.BodyReadTimeout = 0 }, wantKeys: []string{"limits.body_read_timeout"}, wantMsg: "positive"},
		{name: "tokens.code_ttl zero", change: func(c *Config) { c.Tokens.CodeTTL = 0 }, wantKeys: []string{"tokens.code_ttl"}, wantMsg: "positive"},
		{name: "tokens.code_ttl 10m", change: func(c *Config) { c.Tokens.CodeTTL = 10 * time.Minute }},
		{name: "tokens.code_ttl over 10m", change: func(c *Config) { c.Tokens.CodeTTL = 10*time.Minute + time.Second }, wantKeys: []string{"tokens.code_ttl"}, wantMsg: "at most 10m0s"},
		{name: "tokens.refresh_grace zero", change: func(c *Config) { c.Tokens.RefreshGrace = 0 }, wantKeys: []string{"tokens.refresh_grace"}, wantMsg: "positive"},
		{
			name:     "tokens.refresh_grace not shorter than refresh_token_ttl",
			change:   func(c *Config) { c.Tokens.RefreshGrace, c.Tokens.RefreshTokenTTL = time.Hour, time.Hour },
			wantKeys: []string{"tokens.refresh_grace"},
			wantMsg:  "shorter than tokens.refresh_token_ttl",
		},
		{name: "tokens.key_rotation negative", change: func(c *Config) { c.Tokens.KeyRotation = -1 }, wantKeys: []string{"tokens.key_rotation"}, wantMsg: "negative"},
		{name: "tokens.key_rotation set", change: func(c *Config) { c.Tokens.KeyRotation = 24 * time.Hour }},

		// session
		{name: "session.ttl zero", change: func(c *Config) { c.Session.TTL = 0 }, wantKeys: []string{"session.ttl"}, wantMsg: "positive"},
		{name: "session.consent_ttl negative", change: func(c *Config) { c.Session.ConsentTTL = -time.Second }, wantKeys: []string{"session.consent_ttl"}, wantMsg: "negative"},
		{name: "session.consent_ttl set", change: func(c *Config) { c.Session.ConsentTTL = 90 * 24 * time.Hour }},
		{name: "session.secret 32 bytes", change: func(c *Config) { c.Session.Secret = strings.Repeat("x", 32) }},
		{name: "session.secret too short", change: func(c *Config) { c.Session.Secret = "leakme" }, wantKeys: []string{"session.secret"}, wantMsg: "at least 32 bytes, got 6"},
	}
	runValidateCases(t, tests, "leakme", ":pw@")
}

func TestValidateReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name     string
		load     func(t *testing.T) *Config
		wantKeys []string
	}{
		{
			name:     "defaults lack only what has no default",
			load:     func(*testing.T) *Config { return Default() },
			wantKeys: []string{"public_url", "upstream.issuer", "upstream.client_id", "backend.url"},
		},
		{
			name: "three mistakes",
			load: func(t *testing.T) *Config {
				c, err := Load("testdata/three_mistakes.yaml", nil)
				if err != nil {
					t.Fatalf("Load: got error %v, want nil", err)
				}
				return c
			},
			wantKeys: []string{"public_url", "upstream.client_id", "tokens.code_ttl"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.load(t).Validate()
			ps := problemsOf(t, err)
			if got := keysOf(ps); !slices.Equal(got, tt.wantKeys) {
				t.Fatalf("got keys %q, want %q (problems: %v)", got, tt.wantKeys, ps)
			}
			if got, want := strings.Count(err.Error(), "\n")+1, len(tt.wantKeys); got != want {
				t.Errorf("got %d lines in %q, want %d", got, err, want)
			}
		})
	}
}

func TestProblemsError(t *testing.T) {
	tests := []struct {
		name string
		ps   Problems
		want string
	}{
		{name: "one", ps: Problems{{Key: "listen", Message: "required"}}, want: "listen: required"},
		{
			name: "several",
			ps:   Problems{{Key: "a", Message: "x"}, {Key: "b.c", Message: "y"}},
			want: "a: x\nb.c: y",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ps.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
