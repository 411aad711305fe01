//go:build linux

package interop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var authScenarioDir = regexp.MustCompile(`^authorization-server-(.+)-\d{4}-\d{2}-\d{2}T[0-9-]+Z$`)

// testConformanceAuthorization runs the MCP conformance `authorization`
// suite against mcpgate as an authorization server: the metadata endpoint,
// and an authorization code grant with PKCE and a resource indicator for a
// client registered by DCR. The suite prints the authorization URL for a
// person to open; the headless browser opens it and delivers the redirect
// to the suite's callback listener. Without --resource the suite sends no
// resource parameter, and mcpgate applies its one resource (RFC 8707).
func testConformanceAuthorization(t *testing.T, s *stack, withResource bool) {
	port := freePort(t)
	callback := fmt.Sprintf("http://127.0.0.1:%d/callback", port)
	reg := s.register(t, "mcpgate interop: conformance authorization suite", callback)
	outDir := t.TempDir()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{s.tc.node, s.tc.jsPath("@modelcontextprotocol/conformance/dist/index.js"),
		"authorization", "--url", s.issuer, "--client-id", reg.ClientID,
		"--port", fmt.Sprint(port), "--output-dir", outDir}
	if withResource {
		args = append(args, "--resource", s.resource())
	}
	p := startProc(t, ctx, "conformance authorization", args, childEnv(t.TempDir()), procOptions{})

	authURL, err := p.waitOutput(2*time.Minute, func(l string) bool { return strings.HasPrefix(l, s.issuer+"/authorize?") })
	if err != nil {
		t.Fatal(err)
	}
	// The suite prints the URL before its callback listener is up.
	if _, err := p.waitOutput(30*time.Second, func(l string) bool { return strings.HasPrefix(l, "Callback server started") }); err != nil {
		t.Fatal(err)
	}
	final, err := newBrowser().signIn(ctx, strings.TrimSpace(authURL), "")
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if got := where(final); got != callback {
		t.Errorf("browser ended at %s, want the suite's callback %s", got, callback)
	}
	if err := p.wait(2 * time.Minute); err != nil {
		t.Errorf("conformance authorization: got %s, want exit status 0", exitError(err))
	}

	results := readSuiteDir(t, outDir, authScenarioDir)
	for _, scenario := range []string{"authorization-server-metadata-endpoint", "authorization-code-grant"} {
		t.Run(scenario, func(t *testing.T) {
			checks, ok := results[scenario]
			if !ok || len(checks) == 0 {
				t.Fatalf("scenario did not run; ran %v", sortedKeys(results))
			}
			for _, c := range checks {
				switch c.Status {
				case "SUCCESS":
					t.Logf("%s: SUCCESS", c.ID)
				case "WARNING":
					// A SHOULD the suite checks, e.g. CIMD support.
					t.Logf("%s: WARNING: %s", c.ID, c.ErrorMessage)
				default:
					t.Errorf("%s: got %s (%s), want SUCCESS", c.ID, c.Status, c.ErrorMessage)
				}
			}
		})
	}
}

// readSuiteDir reads a conformance output directory: one folder per
// scenario, named by dir's first group, holding checks.json.
func readSuiteDir(t *testing.T, outDir string, dir *regexp.Regexp) map[string][]suiteCheck {
	t.Helper()
	entries, err := os.ReadDir(outDir)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string][]suiteCheck{}
	for _, e := range entries {
		m := dir.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(outDir, e.Name(), "checks.json"))
		if err != nil {
			t.Fatalf("scenario %s: %v", m[1], err)
		}
		var checks []suiteCheck
		if err := json.Unmarshal(b, &checks); err != nil {
			t.Fatalf("scenario %s: checks.json: %v", m[1], err)
		}
		res[m[1]] = checks
	}
	return res
}
