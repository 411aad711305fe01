package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFile writes content to name in a fresh temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// problemsOf returns the Problems err carries, failing the test if it
// carries none.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got error %v (%T), want one wrapping Problems", err, err)
	}
	return ps
}

func keysOf(ps Problems) []string {
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	return keys
}

// validConfig is what testdata/minimal.yaml loads to: a configuration that
// passes Validate, for tests to break one key at a time.
func validConfig() *Config {
	c := Default()
	c.PublicURL = "https://mcp.example.com"
	c.Upstream.Issuer = "https://accounts.google.com"
	c.Upstream.ClientID = "mcpgate-client"
	c.Backend.URL = "http://localhost:3000/mcp"
	return c
}

// validateCase is one case of a Validate table: a change to validConfig
// and the problems it must cause (none when wantKeys is nil).
type validateCase struct {
	name     string
	change   func(c *Config)
	wantKeys []string // nil: valid
	wantMsg  string   // in the first problem
}

// runValidateCases checks each case's problem keys and first message, and
// that no secret named in secrets reaches the error text.
func runValidateCases(t *testing.T, tests []validateCase, secrets ...string) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(c)
			err := c.Validate()
			if tt.wantKeys == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			ps := problemsOf(t, err)
			if got := keysOf(ps); !slices.Equal(got, tt.wantKeys) {
				t.Fatalf("got keys %q, want %q (problems: %v)", got, tt.wantKeys, ps)
			}
			if !strings.Contains(ps[0].Message, tt.wantMsg) {
				t.Errorf("got message %q, want it to contain %q", ps[0].Message, tt.wantMsg)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("got %q, want no secret in it", err)
				}
			}
		})
	}
}
