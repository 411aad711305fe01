package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadUnknownKeyInItem(t *testing.T) {
	_, err := Load("testdata/unknown_key_in_item.yaml", nil)
	ps := problemsOf(t, err)
	want := Problem{Key: "clients[1].redirect_uri", Message: "unknown key (testdata/unknown_key_in_item.yaml:11)"}
	if len(ps) != 1 || ps[0] != want {
		t.Fatalf("got %q, want [%q]", ps, want)
	}
}

func TestLoadItemsYAML(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		yaml string
		want func(c *Config) // turns Default() into the expected config
	}{
		{
			name: "clients",
			yaml: "clients:\n  - id: a\n    redirect_uris: [http://127.0.0.1/cb]\n    trusted: true\n  - {id: b, scopes: [mcp]}\n",
			want: func(c *Config) {
				c.Clients = []Client{
					{ID: "a", RedirectURIs: []string{"http://127.0.0.1/cb"}, Trusted: true},
					{ID: "b", Scopes: []string{"mcp"}},
				}
			},
		},
		{
			name: "secret_file inside an item",
			yaml: "clients:\n  - id: a\n  - id: b\n    secret_file: " + secret + "\n",
			want: func(c *Config) { c.Clients = []Client{{ID: "a"}, {ID: "b", Secret: "from-file"}} },
		},
		{
			name: "secret_file inside a service account",
			yaml: "service_accounts:\n  - id: sa\n    secret_file: " + secret + "\n    groups: [x]\n",
			want: func(c *Config) {
				c.ServiceAccounts = []ServiceAccount{{ID: "sa", Secret: "from-file", Groups: []string{"x"}}}
			},
		},
		{
			name: "aliased item",
			yaml: "clients:\n  - &a {id: a, name: A}\nservice_accounts:\n  - *a\n",
			want: func(c *Config) {
				c.Clients = []Client{{ID: "a", Name: "A"}}
				c.ServiceAccounts = []ServiceAccount{{ID: "a", Name: "A"}}
			},
		},
		{
			name: "empty list",
			yaml: "clients: []\n",
			want: func(c *Config) { c.Clients = []Client{} },
		},
		{
			name: "null list keeps the default",
			yaml: "clients:\n",
			want: func(*Config) {},
		},
		{
			name: "registration numbers and durations",
			yaml: "registration:\n  rate_limit: 0\n  unused_client_ttl: 0s\n  cimd:\n    cache_min: 10s\n",
			want: func(c *Config) {
				c.Registration.RateLimit = 0
				c.Registration.UnusedClientTTL = 0
				c.Registration.CIMD.CacheMin = 10 * time.Second
			},
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

func TestLoadItemsYAMLProblems(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	secret := writeFile(t, "secret", "s")
	tests := []struct {
		name     string
		yaml     string
		wantKeys []string
		wantMsg  string // in the first problem
	}{
		{
			name:     "list given as a mapping",
			yaml:     "clients: {id: a}\n",
			wantKeys: []string{"clients"},
			wantMsg:  "want a list of mappings",
		},
		{
			name:     "item given as a scalar",
			yaml:     "clients:\n  - a\n  - {id: b}\n  - ~\n",
			wantKeys: []string{"clients[0]", "clients[2]"},
			wantMsg:  "want a mapping (",
		},
		{
			name:     "unknown keys in several items",
			yaml:     "clients:\n  - {id: a, secrets: x}\nservice_accounts:\n  - {id: b}\n  - {id: c, group: [x]}\n",
			wantKeys: []string{"clients[0].secrets", "service_accounts[1].group"},
			wantMsg:  "unknown key",
		},
		{
			name:     "duplicate key in an item",
			yaml:     "clients:\n  - id: a\n    id: b\n",
			wantKeys: []string{"clients[0].id"},
			wantMsg:  "duplicate key (first at line 2)",
		},
		{
			name:     "wrong type in an item",
			yaml:     "clients:\n  - id: a\n    trusted: very\n    redirect_uris: http://127.0.0.1/cb\n",
			wantKeys: []string{"clients[0].trusted", "clients[0].redirect_uris"},
			wantMsg:  "want true or false",
		},
		{
			name:     "secret and secret_file in one item",
			yaml:     "clients:\n  - id: a\n    secret: leakme\n    secret_file: " + secret + "\n",
			wantKeys: []string{"clients[0].secret"},
			wantMsg:  "set either secret or secret_file, not both",
		},
		{
			name:     "_file on a key that is not secret",
			yaml:     "service_accounts:\n  - id_file: /x\n",
			wantKeys: []string{"service_accounts[0].id_file"},
			wantMsg:  "unknown key",
		},
		{
			name:     "missing secret_file in an item",
			yaml:     "clients:\n  - id: a\n  - id: b\n    secret_file: " + missing + "\n",
			wantKeys: []string{"clients[1].secret_file"},
			wantMsg:  "no such file",
		},
		{
			name:     "rate_limit not a number",
			yaml:     "registration:\n  rate_limit: lots\n",
			wantKeys: []string{"registration.rate_limit"},
			wantMsg:  `want a whole number, got "lots"`,
		},
		{
			name:     "unknown key in cimd",
			yaml:     "registration:\n  cimd:\n    allow_domain: [x]\n",
			wantKeys: []string{"registration.cimd.allow_domain"},
			wantMsg:  "unknown key",
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
			if strings.Contains(err.Error(), "leakme") {
				t.Errorf("got error %q, want it not to contain the secret", err)
			}
		})
	}
}

func TestLoadItemsEnv(t *testing.T) {
	secret := writeFile(t, "secret", "from-env-file\n")
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		yaml string
		env  []string
		want func(c *Config)
	}{
		{
			name: "clients as JSON",
			env: []string{`MCPGATE_CLIENTS=[{"id":"cli","name":"CLI","redirect_uris":["http://127.0.0.1/cb"],` +
				`"scopes":["mcp"],"trusted":true,"secret_hash":null}]`},
			want: func(c *Config) {
				c.Clients = []Client{{ID: "cli", Name: "CLI", RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"mcp"}, Trusted: true}}
			},
		},
		{
			name: "service accounts as JSON with secret_file",
			env:  []string{`MCPGATE_SERVICE_ACCOUNTS=[{"id":"sa","secret_file":"` + secret + `","groups":["a","b"],"jwks":"{\"keys\":[]}"}]`},
			want: func(c *Config) {
				c.ServiceAccounts = []ServiceAccount{{ID: "sa", Secret: "from-env-file", Groups: []string{"a", "b"}, JWKS: `{"keys":[]}`}}
			},
		},
		{
			name: "env list replaces the file's list whole and its secret files are not read",
			yaml: "clients:\n  - id: a\n  - id: b\n    secret_file: " + missing + "\n",
			env:  []string{`MCPGATE_CLIENTS=[{"id":"c"}]`},
			want: func(c *Config) { c.Clients = []Client{{ID: "c"}} },
		},
		{
			name: "empty array clears the file's list",
			yaml: "clients:\n  - id: a\n",
			env:  []string{"MCPGATE_CLIENTS=[]"},
			want: func(c *Config) { c.Clients = []Client{} },
		},
		{
			name: "empty variable counts as unset",
			yaml: "clients:\n  - id: a\n",
			env:  []string{"MCPGATE_CLIENTS="},
			want: func(c *Config) { c.Clients = []Client{{ID: "a"}} },
		},
		{
			name: "registration scalars",
			env: []string{
				"MCPGATE_REGISTRATION_RATE_LIMIT=0",
				"MCPGATE_REGISTRATION_UNUSED_CLIENT_TTL=2h",
				"MCPGATE_REGISTRATION_REDIRECT_URI_PATTERNS=http://127.0.0.1:*/callback https://*.example.com/*",
				"MCPGATE_REGISTRATION_CIMD_ENABLED=false",
				"MCPGATE_REGISTRATION_CIMD_ALLOW_DOMAINS=a.example.com,*.b.example.com",
				"MCPGATE_REGISTRATION_CIMD_ALLOWED_NETWORKS=10.0.0.0/8",
				"MCPGATE_REGISTRATION_CIMD_CACHE_MAX=1h",
				"MCPGATE_REGISTRATION_INITIAL_ACCESS_TOKEN_FILE=" + secret,
			},
			want: func(c *Config) {
				r := &c.Registration
				r.RateLimit = 0
				r.UnusedClientTTL = 2 * time.Hour
				r.RedirectURIPatterns = []string{"http://127.0.0.1:*/callback", "https://*.example.com/*"}
				r.CIMD.Enabled = false
				r.CIMD.AllowDomains = []string{"a.example.com", "*.b.example.com"}
				r.CIMD.AllowedNetworks = []string{"10.0.0.0/8"}
				r.CIMD.CacheMax = time.Hour
				r.InitialAccessToken = "from-env-file"
			},
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

func TestLoadItemsEnvProblems(t *testing.T) {
	secret := writeFile(t, "secret", "s")
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name     string
		env      string
		wantMsgs []string // one per problem, all keyed by the variable
	}{
		{name: "not JSON", env: `MCPGATE_CLIENTS=[{id: "leakme"}]`, wantMsgs: []string{"not valid JSON (error at byte 3)"}},
		{name: "not an array", env: `MCPGATE_CLIENTS={"id":"a"}`, wantMsgs: []string{"want a JSON array of objects"}},
		{name: "null", env: `MCPGATE_CLIENTS=null`, wantMsgs: []string{"want a JSON array of objects"}},
		{name: "item not an object", env: `MCPGATE_CLIENTS=[{"id":"a"},"leakme"]`, wantMsgs: []string{"clients[1]: want a JSON object"}},
		{
			name:     "unknown keys, every one reported",
			env:      `MCPGATE_CLIENTS=[{"id":"a","redirect_uri":"x"},{"ID":"b"}]`,
			wantMsgs: []string{"clients[0].redirect_uri: unknown key", "clients[1].ID: unknown key"},
		},
		{name: "key given twice", env: `MCPGATE_CLIENTS=[{"id":"a","id":"b"}]`, wantMsgs: []string{"clients[0].id: given twice"}},
		{
			name:     "wrong types",
			env:      `MCPGATE_CLIENTS=[{"id":1,"redirect_uris":"http://127.0.0.1/cb","trusted":"yes"}]`,
			wantMsgs: []string{"clients[0].id: want a JSON string", "clients[0].redirect_uris: want a JSON array of strings", "clients[0].trusted: want true or false"},
		},
		{
			name:     "secret and secret_file",
			env:      `MCPGATE_SERVICE_ACCOUNTS=[{"id":"a","secret":"leakme","secret_file":"` + secret + `"}]`,
			wantMsgs: []string{"service_accounts[0].secret: set either secret or secret_file, not both"},
		},
		{
			name:     "missing secret_file",
			env:      `MCPGATE_SERVICE_ACCOUNTS=[{"id":"a","secret_file":"` + missing + `"}]`,
			wantMsgs: []string{"service_accounts[0].secret_file: open " + missing},
		},
		{name: "secret_file not a string", env: `MCPGATE_CLIENTS=[{"secret_file":["a"]}]`, wantMsgs: []string{"clients[0].secret_file: want a file path"}},
		{name: "_file of a key that is not secret", env: `MCPGATE_CLIENTS=[{"id_file":"/x"}]`, wantMsgs: []string{"clients[0].id_file: unknown key"}},
		{name: "rate_limit not a number", env: "MCPGATE_REGISTRATION_RATE_LIMIT=1.5", wantMsgs: []string{`invalid number "1.5"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", []string{tt.env})
			ps := problemsOf(t, err)
			name, _, _ := strings.Cut(tt.env, "=")
			if len(ps) != len(tt.wantMsgs) {
				t.Fatalf("got %d problems %v, want %d", len(ps), ps, len(tt.wantMsgs))
			}
			for i, p := range ps {
				if p.Key != name || !strings.HasPrefix(p.Message, tt.wantMsgs[i]) {
					t.Errorf("got problem %q, want %s: %s...", p, name, tt.wantMsgs[i])
				}
			}
			if strings.Contains(err.Error(), "leakme") {
				t.Errorf("got error %q, want it not to contain the secret", err)
			}
		})
	}
}

// TestParseJSONItemsKinds covers the item field kinds today's lists do not
// use but checkItemType allows, so a future item field works from the
// environment too.
func TestParseJSONItemsKinds(t *testing.T) {
	type item struct {
		D time.Duration `yaml:"d"`
		N int           `yaml:"n"`
	}
	typ := reflect.TypeFor[[]item]()
	v, msgs := parseJSONItems(typ, "l", `[{"d":"90s","n":3},{"d":null}]`)
	if len(msgs) != 0 {
		t.Fatalf("got problems %q, want none", msgs)
	}
	if got, want := v.Interface(), []item{{D: 90 * time.Second, N: 3}, {}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	_, msgs = parseJSONItems(typ, "l", `[{"d":90,"n":"3"},{"d":"soon"}]`)
	want := []string{
		"l[0].d: want a duration such as 90s, 15m or 1h as a string",
		"l[0].n: want a whole number",
		`l[1].d: invalid duration "soon"`,
	}
	if len(msgs) != len(want) {
		t.Fatalf("got problems %q, want %q", msgs, want)
	}
	for i := range want {
		if !strings.HasPrefix(msgs[i], want[i]) {
			t.Errorf("got problem %q, want %q...", msgs[i], want[i])
		}
	}
}
