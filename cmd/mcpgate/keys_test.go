package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/proxy/store/sqlite"
)

// TestKeysRotate: the command adds a key to the store that replicas share,
// keeping the old one published.
func TestKeysRotate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := []string{
		"MCPGATE_PUBLIC_URL=https://mcp.example.com", "MCPGATE_UPSTREAM_ISSUER=https://idp.example.com",
		"MCPGATE_UPSTREAM_CLIENT_ID=x", "MCPGATE_BACKEND_URL=http://b:1/mcp", "MCPGATE_STORE=sqlite://" + db,
	}
	for round, wantKeys := range []int{2, 3} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"keys", "rotate"}, env, &stdout, &stderr); code != 0 {
			t.Fatalf("round %d: exit %d: %s", round, code, stderr.String())
		}
		st, err := sqlite.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := st.ListSigningKeys(context.Background())
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != wantKeys {
			t.Fatalf("round %d: got %d keys in the store, want %d", round, len(keys), wantKeys)
		}
		if !strings.Contains(stdout.String(), "rotated") {
			t.Errorf("stdout: %q", stdout.String())
		}
	}
	var stderr bytes.Buffer
	if code := run([]string{"keys"}, env, &bytes.Buffer{}, &stderr); code != 2 {
		t.Errorf("keys with no subcommand: got exit %d, want 2", code)
	}
}
