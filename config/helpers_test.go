package config

import (
	"errors"
	"os"
	"path/filepath"
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
