package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadEnv(t *testing.T) {
	tests := []struct {
		name string
		yaml string // "" means no config file
		env  []string
		want func(c *Config) // turns Default() into the expected config
	}{
		{
			name: "string",
			env:  []string{"MCPGATE_PUBLIC_URL=https://mcp.example.com"},
			want: func(c *Config) { c.PublicURL = "https://mcp.example.com" },
		},
		{
			name: "nested string",
			env:  []string{"MCPGATE_UPSTREAM_CLIENT_ID=abc", "MCPGATE_BACKEND_URL=http://b:1"},
			want: func(c *Config) {
				c.Upstream.ClientID = "abc"
				c.Backend.URL = "http://b:1"
			},
		},
		{
			name: "list separated by commas",
			env:  []string{"MCPGATE_UPSTREAM_SCOPES=openid,email"},
			want: func(c *Config) { c.Upstream.Scopes = []string{"openid", "email"} },
		},
		{
			name: "list separated by spaces",
			env:  []string{"MCPGATE_UPSTREAM_SCOPES=openid  email\tgroups"},
			want: func(c *Config) { c.Upstream.Scopes = []string{"openid", "email", "groups"} },
		},
		{
			name: "list separated by both",
			env:  []string{"MCPGATE_MCP_SCOPES=mcp, mcp:read ,mcp:write,"},
			want: func(c *Config) { c.MCP.Scopes = []string{"mcp", "mcp:read", "mcp:write"} },
		},
		{
			name: "duration",
			env:  []string{"MCPGATE_TOKENS_ACCESS_TOKEN_TTL=90s", "MCPGATE_SESSION_CONSENT_TTL=1h30m"},
			want: func(c *Config) {
				c.Tokens.AccessTokenTTL = 90 * time.Second
				c.Session.ConsentTTL = 90 * time.Minute
			},
		},
		{
			name: "float",
			env:  []string{"MCPGATE_TRACING_SAMPLE_RATIO= 0.05"},
			want: func(c *Config) { c.Tracing.SampleRatio = 0.05 },
		},
		{
			name: "bool",
			env:  []string{"MCPGATE_REGISTRATION_DYNAMIC_ENABLED=0"},
			want: func(c *Config) { c.Registration.DynamicEnabled = false },
		},
		{
			name: "map",
			env:  []string{"MCPGATE_UPSTREAM_AUTH_PARAMS=access_type=offline, prompt = select_account consent,x=a=b"},
			want: func(c *Config) {
				c.Upstream.AuthParams = map[string]string{
					"access_type": "offline", "prompt": "select_account consent", "x": "a=b",
				}
			},
		},
		{
			name: "env beats file",
			yaml: "listen: ':1'\nupstream:\n  scopes: [a, b, c]\n",
			env:  []string{"MCPGATE_LISTEN=:2", "MCPGATE_UPSTREAM_SCOPES=d"},
			want: func(c *Config) {
				c.Listen = ":2"
				c.Upstream.Scopes = []string{"d"}
			},
		},
		{
			name: "env map replaces file map",
			yaml: "upstream:\n  auth_params: {a: '1', b: '2'}\n",
			env:  []string{"MCPGATE_UPSTREAM_AUTH_PARAMS=c=3"},
			want: func(c *Config) { c.Upstream.AuthParams = map[string]string{"c": "3"} },
		},
		{
			name: "empty value counts as unset",
			yaml: "listen: ':1'\n",
			env:  []string{"MCPGATE_LISTEN=", "MCPGATE_TOKENS_CODE_TTL="},
			want: func(c *Config) { c.Listen = ":1" },
		},
		{
			name: "later duplicate wins",
			env:  []string{"MCPGATE_LISTEN=:1", "MCPGATE_LISTEN=:2"},
			want: func(c *Config) { c.Listen = ":2" },
		},
		{
			name: "config path and foreign variables are ignored",
			env:  []string{"MCPGATE_CONFIG=/etc/mcpgate.yaml", "HOME=/root", "LISTEN=:9", "mcpgate_listen=:9", "NOEQUALS"},
			want: func(*Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = writeFile(t, "mcpgate.yaml", tt.yaml)
			}
			got, err := Load(path, tt.env)
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

func TestLoadEnvProblems(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		env      []string
		wantKeys []string
		wantMsg  string // in the first problem
	}{
		{
			name:     "unknown variable",
			env:      []string{"MCPGATE_LISTN=:80"},
			wantKeys: []string{"MCPGATE_LISTN"},
			wantMsg:  "unknown variable",
		},
		{
			name:     "unknown variable even when empty",
			env:      []string{"MCPGATE_UPSTREAM_CLIENTID="},
			wantKeys: []string{"MCPGATE_UPSTREAM_CLIENTID"},
		},
		{
			name:     "_FILE of a key that is not secret",
			env:      []string{"MCPGATE_UPSTREAM_CLIENT_ID_FILE=/run/secrets/id"},
			wantKeys: []string{"MCPGATE_UPSTREAM_CLIENT_ID_FILE"},
		},
		{
			name:     "bad duration",
			env:      []string{"MCPGATE_TOKENS_CODE_TTL=30"},
			wantKeys: []string{"MCPGATE_TOKENS_CODE_TTL"},
			wantMsg:  `invalid duration "30"`,
		},
		{
			name:     "bad float",
			env:      []string{"MCPGATE_TRACING_SAMPLE_RATIO=half"},
			wantKeys: []string{"MCPGATE_TRACING_SAMPLE_RATIO"},
			wantMsg:  `invalid number "half"`,
		},
		{
			name:     "bad bool",
			env:      []string{"MCPGATE_REGISTRATION_DYNAMIC_ENABLED=yes please"},
			wantKeys: []string{"MCPGATE_REGISTRATION_DYNAMIC_ENABLED"},
			wantMsg:  "invalid boolean",
		},
		{
			name:     "map entry without =",
			env:      []string{"MCPGATE_UPSTREAM_AUTH_PARAMS=access_type=offline,prompt"},
			wantKeys: []string{"MCPGATE_UPSTREAM_AUTH_PARAMS"},
			wantMsg:  `invalid entry "prompt"`,
		},
		{
			name:     "map key given twice",
			env:      []string{"MCPGATE_UPSTREAM_AUTH_PARAMS=a=1,a=2"},
			wantKeys: []string{"MCPGATE_UPSTREAM_AUTH_PARAMS"},
			wantMsg:  `key "a" given twice`,
		},
		{
			name: "every bad variable is reported, sorted",
			env: []string{
				"MCPGATE_TOKENS_CODE_TTL=soon",
				"MCPGATE_BOGUS=1",
				"MCPGATE_SESSION_TTL=-",
				"MCPGATE_LISTEN=:8080",
			},
			wantKeys: []string{"MCPGATE_BOGUS", "MCPGATE_SESSION_TTL", "MCPGATE_TOKENS_CODE_TTL"},
		},
		{
			name:     "file and environment problems together",
			yaml:     "lisen: ':1'\n",
			env:      []string{"MCPGATE_LISTN=:2"},
			wantKeys: []string{"lisen", "MCPGATE_LISTN"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = writeFile(t, "mcpgate.yaml", tt.yaml)
			}
			_, err := Load(path, tt.env)
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

func TestLoadEnvDoesNotEchoUnknownValues(t *testing.T) {
	_, err := Load("", []string{"MCPGATE_UPSTREAM_CLIENT_SECRETT=hunter2"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("got error %v, want one that does not contain the value", err)
	}
}
