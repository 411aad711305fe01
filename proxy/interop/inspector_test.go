//go:build linux

package interop_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testInspectorCLI runs MCP Inspector's CLI mode against mcpgate with a
// bearer token from a Go-driven sign-in (its --header option), and once
// without a token, where it must report that sign-in is needed.
func testInspectorCLI(t *testing.T, s *stack) {
	tok := s.signIn(t)
	launcher := s.tc.jsPath("@modelcontextprotocol/inspector/clients/launcher/build/index.js")
	env := childEnv(t.TempDir())
	bearer := []string{"--header", "Authorization: Bearer " + tok.AccessToken}

	cases := []struct {
		name string
		args []string
		// wantExit is the CLI's exit code (3 is its auth_required).
		wantExit int
		check    func(t *testing.T, result []byte, out string)
	}{
		{
			name:     "ToolsList",
			args:     append([]string{"--method", "tools/list"}, bearer...),
			wantExit: 0,
			check: func(t *testing.T, result []byte, _ string) {
				var r struct {
					Tools []struct {
						Name string `json:"name"`
					} `json:"tools"`
				}
				if err := json.Unmarshal(result, &r); err != nil {
					t.Fatalf("tools/list result: %v", err)
				}
				var names []string
				for _, tool := range r.Tools {
					names = append(names, tool.Name)
				}
				if !slices.Contains(names, "test_simple_text") {
					t.Errorf("tools: got %v, want test_simple_text among them", names)
				}
				t.Logf("Inspector listed %d tools", len(names))
			},
		},
		{
			name:     "ToolsCall",
			args:     append([]string{"--method", "tools/call", "--tool-name", "test_simple_text"}, bearer...),
			wantExit: 0,
			check: func(t *testing.T, result []byte, _ string) {
				var r struct {
					Content []struct {
						Type string `json:"type"`
						Text string `json:"text"`
					} `json:"content"`
				}
				if err := json.Unmarshal(result, &r); err != nil {
					t.Fatalf("tools/call result: %v", err)
				}
				if len(r.Content) != 1 || r.Content[0].Text != simpleText {
					t.Errorf("tools/call content: got %+v, want one text %q", r.Content, simpleText)
				}
			},
		},
		{
			// No token and no interactive login allowed: mcpgate's 401
			// must come through as the CLI's auth_required.
			name:     "NoTokenNeedsSignIn",
			args:     []string{"--method", "tools/list", "--stored-auth-only", "--format", "json"},
			wantExit: 3,
			check: func(t *testing.T, _ []byte, out string) {
				if !strings.Contains(out, `"auth_required"`) {
					t.Errorf("output: got %q, want an auth_required error", tail(redact(out), 500))
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			result := filepath.Join(t.TempDir(), "result.json")
			args := append([]string{s.tc.node, launcher, "--cli", s.resource(), "--transport", "http", "--output", result}, c.args...)
			out, err := runProc(t, "inspector-cli", 90*time.Second, args, env, procOptions{})
			if code := exitCode(err); code != c.wantExit {
				t.Fatalf("inspector --cli %s: got %s, want exit status %d\n%s", c.name, exitError(err), c.wantExit, tail(redact(out), 3000))
			}
			b, _ := os.ReadFile(result)
			c.check(t, b, out)
		})
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
