package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	yamlSecret := write("yaml_secret", "from-yaml-file\n")
	envSecret := write("env_secret", "from-env-file \r\n\n")
	sessionSecret := write("session_secret", "0123456789abcdef0123456789abcdef\n")
	empty := write("empty", "\n")
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name        string
		yaml        string
		env         []string
		wantSecret  string // upstream.client_secret
		wantSession string // session.secret
		wantKeys    []string
	}{
		{
			name:       "yaml _file",
			yaml:       "upstream:\n  client_secret_file: " + yamlSecret + "\n",
			wantSecret: "from-yaml-file",
		},
		{
			name:       "env _FILE, trailing whitespace trimmed",
			env:        []string{"MCPGATE_UPSTREAM_CLIENT_SECRET_FILE=" + envSecret},
			wantSecret: "from-env-file",
		},
		{
			name:        "every secret key takes a file",
			yaml:        "session:\n  secret_file: " + sessionSecret + "\n",
			wantSession: "0123456789abcdef0123456789abcdef",
		},
		{
			name:       "env value beats yaml file, which is then not read",
			yaml:       "upstream:\n  client_secret_file: " + missing + "\n",
			env:        []string{"MCPGATE_UPSTREAM_CLIENT_SECRET=from-env"},
			wantSecret: "from-env",
		},
		{
			name:       "env file beats yaml value",
			yaml:       "upstream:\n  client_secret: from-yaml\n",
			env:        []string{"MCPGATE_UPSTREAM_CLIENT_SECRET_FILE=" + envSecret},
			wantSecret: "from-env-file",
		},
		{
			name:       "env file beats yaml file",
			yaml:       "upstream:\n  client_secret_file: " + yamlSecret + "\n",
			env:        []string{"MCPGATE_UPSTREAM_CLIENT_SECRET_FILE=" + envSecret},
			wantSecret: "from-env-file",
		},
		{
			name:       "empty env value leaves the yaml file in force",
			yaml:       "upstream:\n  client_secret_file: " + yamlSecret + "\n",
			env:        []string{"MCPGATE_UPSTREAM_CLIENT_SECRET="},
			wantSecret: "from-yaml-file",
		},
		{
			name:     "yaml value and file together",
			yaml:     "upstream:\n  client_secret: leakme\n  client_secret_file: " + yamlSecret + "\n",
			wantKeys: []string{"upstream.client_secret"},
		},
		{
			name: "env value and file together",
			env: []string{
				"MCPGATE_UPSTREAM_CLIENT_SECRET=leakme",
				"MCPGATE_UPSTREAM_CLIENT_SECRET_FILE=" + envSecret,
			},
			wantKeys: []string{"MCPGATE_UPSTREAM_CLIENT_SECRET"},
		},
		{
			name:     "missing yaml file",
			yaml:     "upstream:\n  client_secret_file: " + missing + "\n",
			wantKeys: []string{"upstream.client_secret_file"},
		},
		{
			name:     "missing env file",
			env:      []string{"MCPGATE_UPSTREAM_CLIENT_SECRET_FILE=" + missing},
			wantKeys: []string{"MCPGATE_UPSTREAM_CLIENT_SECRET_FILE"},
		},
		{
			name:     "empty secret file",
			yaml:     "session:\n  secret_file: " + empty + "\n",
			env:      []string{"MCPGATE_UPSTREAM_CLIENT_SECRET_FILE=" + empty},
			wantKeys: []string{"MCPGATE_UPSTREAM_CLIENT_SECRET_FILE", "session.secret_file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = writeFile(t, "mcpgate.yaml", tt.yaml)
			}
			c, err := Load(path, tt.env)
			if tt.wantKeys != nil {
				ps := problemsOf(t, err)
				if got := keysOf(ps); !slices.Equal(got, tt.wantKeys) {
					t.Fatalf("got keys %q, want %q (problems: %v)", got, tt.wantKeys, ps)
				}
				if strings.Contains(err.Error(), "leakme") {
					t.Errorf("got error %q, want it not to contain the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if c.Upstream.ClientSecret != tt.wantSecret {
				t.Errorf("got upstream.client_secret %q, want %q", c.Upstream.ClientSecret, tt.wantSecret)
			}
			if c.Session.Secret != tt.wantSession {
				t.Errorf("got session.secret %q, want %q", c.Session.Secret, tt.wantSession)
			}
		})
	}
}
