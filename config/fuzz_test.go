package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: any file and any MCPGATE_ variable is loaded and validated
// without a panic, and a configuration that passes validation answers
// the derived-value methods serve uses.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{"testdata/full.yaml", "testdata/minimal.yaml", "testdata/three_mistakes.yaml", "testdata/unknown_key_in_item.yaml"} {
		data, err := os.ReadFile(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data), "MCPGATE_POLICY_RULES", `[{"name":"a","groups":["eng"],"allow":{"tools":["*"]}}]`)
	}
	f.Add("public_url: [1, 2\nupstream: &a {x: *a}\n", "MCPGATE_CLIENTS", `[{"id":"x","redirect_uris":"nope"}]`)
	f.Add("policy:\n  rules:\n    - name: x\n      allow: {tools: ['[']}\n", "MCPGATE_TOKENS_CODE_TTL", "-1s")
	f.Add("backends:\n  - {name: '../x', url: 'http://b/mcp', path: '/mcp/../x'}\n", "MCPGATE_TRACING_SAMPLE_RATIO", "NaN")
	f.Fuzz(func(t *testing.T, yaml, envKey, envValue string) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path, []string{envKey + "=" + envValue})
		if err != nil {
			return
		}
		if c.Validate() != nil {
			return
		}
		_ = c.Issuer()
		_ = c.ResourceURL()
		_ = c.Routes()
		_ = c.IdPs()
	})
}
