package config

import (
	"errors"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadFixtures(t *testing.T) {
	full := &Config{
		PublicURL:     "https://MCP.Example.com/",
		Listen:        "127.0.0.1:9090",
		ShutdownGrace: 45 * time.Second,
		Metrics:       Metrics{Listen: "127.0.0.1:9100"},
		Tracing:       Tracing{OTLPEndpoint: "http://otel-collector:4318", SampleRatio: 0.25},
		Store:         "sqlite:///var/lib/mcpgate/mcpgate.db",
		LogLevel:      "debug",
		Upstream: Upstream{
			Issuer:               "https://accounts.google.com",
			ClientID:             "mcpgate-client",
			ClientSecret:         "s3cret",
			Scopes:               []string{"openid", "email", "profile", "groups"},
			RedirectURL:          "https://mcp.example.com/oauth/callback",
			GroupsClaim:          "roles",
			AuthParams:           map[string]string{"access_type": "offline", "prompt": "consent"},
			AllowUnverifiedEmail: true,
		},
		Backend: Backend{
			URL:     "http://backend.internal:3000/mcp",
			Timeout: 2 * time.Minute,
			IdentityHeaders: IdentityHeaders{
				User: "X-User", Email: "X-Email", EmailVerified: "X-Email-Verified", Name: "X-Name", Groups: "X-Groups", ClientID: "X-Client-Id",
			},
			StripHeaders: []string{"X-Tenant", "X-Internal-*"},
			Assertion:    Assertion{Header: "X-Identity-Assertion", Audience: "https://backend.internal", TTL: time.Minute},
		},
		MCP: MCP{Path: "/v1/mcp", Scopes: []string{"mcp", "mcp:read"}, StrictScopes: true, AllowedOrigins: []string{"http://localhost:6274"}},
		Tokens: Tokens{
			AccessTokenTTL:    15 * time.Minute,
			RefreshTokenTTL:   168 * time.Hour,
			CodeTTL:           2 * time.Minute,
			RefreshGrace:      10 * time.Second,
			KeyRotation:       720 * time.Hour,
			KeyReloadInterval: 30 * time.Second, RevocationPollInterval: 2 * time.Second,
		},
		Session: Session{
			Secret:     "0123456789abcdef0123456789abcdef",
			TTL:        8 * time.Hour,
			ConsentTTL: 2160 * time.Hour,
		},
		Registration: Registration{
			DynamicEnabled:      false,
			InitialAccessToken:  "reg-token-0123456789",
			RedirectURIPatterns: []string{"http://127.0.0.1:*/callback", "https://*.example.com/*"},
			RateLimit:           5,
			UnusedClientTTL:     48 * time.Hour,
			CIMD: CIMD{
				Enabled:         false,
				AllowDomains:    []string{"claude.ai", "*.example.com"},
				DenyDomains:     []string{"evil.example.com"},
				CAFile:          "testdata/ca.pem",
				AllowedNetworks: []string{"10.20.0.0/16", "fd00::/8"},
				CacheMin:        time.Minute,
				CacheMax:        time.Hour,
			},
		},
		Limits: Limits{MCPBodyBytes: 1 << 20, BodyReadTimeout: 5 * time.Second, AuthorizeRateLimit: 300, TokenRateLimit: 120, TokenClientRateLimit: 0,
			ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 32 << 10},
		AllowedHosts: []string{"mcp.internal:8080"},
		Policy: Policy{
			SignIn: SignInPolicy{
				AllowedEmailDomains: []string{"example.com"},
				AllowedEmails:       []string{"contractor@partner.example"},
				RequiredGroups:      []string{"mcp-users"},
			},
			PersonalTokens: PersonalTokensPolicy{Enabled: true, MaxLifetime: 720 * time.Hour, AllowNoExpiry: true, AllowedGroups: []string{"mcp-users"}},
			Rules: []Rule{
				{
					Name:   "engineers",
					Groups: []string{"eng"},
					Allow: Permissions{
						Tools:     []string{"*"},
						Resources: []string{"file:///workspace/*"},
						Prompts:   []string{"code_review"},
					},
					Deny: Permissions{Tools: []string{"system_exec"}},
				},
				{
					Name:    "engineers-write",
					Groups:  []string{"eng"},
					Emails:  []string{"*@example.com"},
					Clients: []string{"mcp-inspector"},
					Scope:   "mcp:read",
					Allow:   Permissions{Tools: []string{"write_*", "delete_*"}},
				},
			},
		},
		Audit: Audit{Path: "/var/log/mcpgate/audit.log"},
		Clients: []Client{
			{
				ID:           "mcp-inspector",
				Name:         "MCP Inspector",
				RedirectURIs: []string{"http://localhost:6274/oauth/callback"},
				Trusted:      true,
			},
			{
				ID:     "internal-portal",
				Name:   "Internal portal",
				Secret: "inspector-secret-0123456789abcdef",
				RedirectURIs: []string{
					"https://portal.example.com/oauth/callback",
					"https://portal.example.com/oauth/callback2",
				},
				Scopes: []string{"mcp:read", "offline_access"},
			},
		},
		ServiceAccounts: []ServiceAccount{
			{
				ID:         "deploy-bot",
				Name:       "Deploy bot",
				SecretHash: "sha256:9qiAt2UxDBkickbHhqkB_MS8wSojEr4KwZQyr4Dn_po",
				Groups:     []string{"deployers", "ops"},
				Scopes:     []string{"mcp"},
				Email:      "deploy-bot@example.com",
			},
			{ID: "ci", JWKSFile: "testdata/ci_jwks.json", Groups: []string{"ci"}},
		},
	}
	tests := []struct {
		name string
		path string
		want *Config
	}{
		{name: "no file gives defaults", path: "", want: Default()},
		{name: "full", path: "testdata/full.yaml", want: full},
		{name: "minimal keeps defaults", path: "testdata/minimal.yaml", want: validConfig()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.path, nil)
			if err != nil {
				t.Fatalf("Load: got error %v, want nil", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if tt.path != "" {
				if err := got.Validate(); err != nil {
					t.Errorf("Validate: got %v, want nil", err)
				}
			}
		})
	}
}

func TestLoadUnknownKey(t *testing.T) {
	_, err := Load("testdata/unknown_key.yaml", nil)
	ps := problemsOf(t, err)
	want := Problem{Key: "upstream.client_sceret", Message: "unknown key (testdata/unknown_key.yaml:5)"}
	if len(ps) != 1 || ps[0] != want {
		t.Fatalf("got %q, want [%q]", ps, want)
	}
	if msg := err.Error(); !strings.Contains(msg, "upstream.client_sceret: unknown key") {
		t.Errorf("got error %q, want it to contain %q", msg, "upstream.client_sceret: unknown key")
	}
}

func TestLoadYAMLProblems(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantKeys []string
		wantMsg  string // in the first problem
	}{
		{
			name:     "unknown top-level key",
			yaml:     "lisen: ':80'\n",
			wantKeys: []string{"lisen"},
			wantMsg:  "unknown key (",
		},
		{
			name:     "unknown nested key",
			yaml:     "upstream:\n  scope: [openid]\n",
			wantKeys: []string{"upstream.scope"},
			wantMsg:  "unknown key",
		},
		{
			name:     "every problem is collected in document order",
			yaml:     "lisen: ':80'\nupstream:\n  scope: [openid]\ntokens:\n  code_ttl: soon\n",
			wantKeys: []string{"lisen", "upstream.scope", "tokens.code_ttl"},
		},
		{
			name:     "line number",
			yaml:     "listen: ':80'\n\n\nbogus: 1\n",
			wantKeys: []string{"bogus"},
			wantMsg:  ".yaml:4)",
		},
		{
			name:     "bad duration",
			yaml:     "tokens:\n  code_ttl: soon\n",
			wantKeys: []string{"tokens.code_ttl"},
			wantMsg:  `want a duration such as 90s, 15m or 1h, got "soon"`,
		},
		{
			name:     "duration without unit",
			yaml:     "tokens:\n  access_token_ttl: 3600\n",
			wantKeys: []string{"tokens.access_token_ttl"},
			wantMsg:  "want a duration",
		},
		{
			name:     "list given as a scalar",
			yaml:     "mcp:\n  scopes: mcp\n",
			wantKeys: []string{"mcp.scopes"},
			wantMsg:  "want a list of strings",
		},
		{
			name:     "bad boolean",
			yaml:     "registration:\n  dynamic_enabled: maybe\n",
			wantKeys: []string{"registration.dynamic_enabled"},
			wantMsg:  "want true or false",
		},
		{
			name:     "map given as a list",
			yaml:     "upstream:\n  auth_params: [prompt]\n",
			wantKeys: []string{"upstream.auth_params"},
			wantMsg:  "want a mapping of strings to strings",
		},
		{
			name:     "string given as a mapping",
			yaml:     "listen: {host: localhost}\n",
			wantKeys: []string{"listen"},
			wantMsg:  "want a string",
		},
		{
			name:     "section given as a scalar",
			yaml:     "upstream: google\n",
			wantKeys: []string{"upstream"},
			wantMsg:  "want a mapping",
		},
		{
			name:     "duplicate key",
			yaml:     "listen: ':1'\nlisten: ':2'\n",
			wantKeys: []string{"listen"},
			wantMsg:  "duplicate key (first at line 1)",
		},
		{
			name:     "_file on a key that is not secret",
			yaml:     "upstream:\n  client_id_file: /run/secrets/id\n",
			wantKeys: []string{"upstream.client_id_file"},
			wantMsg:  "unknown key",
		},
		{
			name:     "_file that is not a path",
			yaml:     "upstream:\n  client_secret_file: [a, b]\n",
			wantKeys: []string{"upstream.client_secret_file"},
			wantMsg:  "want a file path",
		},
		{
			name:     "merge key",
			yaml:     "<<: {listen: ':1'}\n",
			wantKeys: []string{"<<"},
			wantMsg:  "merge keys (<<) are not supported",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "mcpgate.yaml", tt.yaml), nil)
			ps := problemsOf(t, err)
			if got := keysOf(ps); !slices.Equal(got, tt.wantKeys) {
				t.Fatalf("got keys %q, want %q (problems: %v)", got, tt.wantKeys, ps)
			}
			if !strings.Contains(ps[0].Message, tt.wantMsg) {
				t.Errorf("got message %q, want it to contain %q", ps[0].Message, tt.wantMsg)
			}
		})
	}
}

func TestLoadYAMLValues(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(c *Config) // turns Default() into the expected config
	}{
		{
			name: "empty file",
			yaml: "",
			want: func(*Config) {},
		},
		{
			name: "comments only",
			yaml: "# nothing set yet\n",
			want: func(*Config) {},
		},
		{
			name: "null section and key keep defaults",
			yaml: "upstream:\nmcp:\n  path:\n  scopes: ~\n",
			want: func(*Config) {},
		},
		{
			name: "list replaces the default",
			yaml: "upstream:\n  scopes: [email]\n",
			want: func(c *Config) { c.Upstream.Scopes = []string{"email"} },
		},
		{
			name: "empty list is kept",
			yaml: "upstream:\n  scopes: []\n",
			want: func(c *Config) { c.Upstream.Scopes = []string{} },
		},
		{
			name: "number read as its text",
			yaml: "upstream:\n  client_id: 0123\n",
			want: func(c *Config) { c.Upstream.ClientID = "0123" },
		},
		{
			name: "anchors and aliases",
			yaml: "mcp:\n  scopes: &s [a, b]\nupstream:\n  scopes: *s\n",
			want: func(c *Config) {
				c.MCP.Scopes = []string{"a", "b"}
				c.Upstream.Scopes = []string{"a", "b"}
			},
		},
		{
			name: "yaml booleans",
			yaml: "registration:\n  dynamic_enabled: off\n",
			want: func(c *Config) { c.Registration.DynamicEnabled = false },
		},
		{
			name: "empty _file is unset",
			yaml: "upstream:\n  client_secret_file: ''\n",
			want: func(*Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(writeFile(t, "mcpgate.yaml", tt.yaml), nil)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			want := Default()
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestLoadUnreadableFile(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string // "" means the file does not exist
		wantMsg string
	}{
		{name: "missing file", wantMsg: "config: read "},
		{name: "syntax error", yaml: "listen: [\n", wantMsg: "config: parse "},
		{name: "two documents", yaml: "listen: ':1'\n---\nlisten: ':2'\n", wantMsg: "line 2: only one YAML document is allowed"},
		{name: "top level is a list", yaml: "- listen\n", wantMsg: "the top level must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := t.TempDir() + "/absent.yaml"
			if tt.yaml != "" {
				path = writeFile(t, "mcpgate.yaml", tt.yaml)
			}
			_, err := Load(path, nil)
			if err == nil {
				t.Fatal("got nil error, want one")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), path) {
				t.Errorf("got error %q, want it to contain %q and the path", err, tt.wantMsg)
			}
			if tt.yaml == "" && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("got error %v, want it to wrap fs.ErrNotExist", err)
			}
		})
	}
}
