//go:build linux

package interop_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// notYetClientScenarios are the client scenarios of the 2026-07-28
// requirement set that mcpgate connect does not pass yet, and why. Any
// other scenario failing fails the test; one of these passing fails it
// too, so that the list stays true.
var notYetClientScenarios = map[string]string{
	"auth/client-credentials-jwt":   "extension: mcpgate connect does no client-credentials grant",
	"auth/client-credentials-basic": "extension: mcpgate connect does no client-credentials grant",
	"auth/wif-jwt-bearer":           "extension: workload identity federation is on the roadmap",
	"json-schema-2020-12-preservation": "the thin host: the go-sdk v1.8.0 client decodes a tool's inputSchema into its " +
		"schema type, dropping $schema, $defs and additionalProperties before echoing it (the bridge relays the bytes unchanged)",
}

var summaryLine = regexp.MustCompile(`(?m)^([✓✗]) (\S+): (\d+) passed, (\d+) failed`)

// TestConformanceClientSuite runs the official conformance suite's client
// scenarios with mcpgate connect as the client, driven by a thin stdio
// host (conformancehost): every scenario of --suite auth, the
// 2026-07-28 requirement set (its auth scenarios among them), and the
// 2025-03-26 back-compatibility scenarios.
func TestConformanceClientSuite(t *testing.T) {
	tc := requireToolchain(t)
	host := filepath.Join(binDir, "conformancehost")
	if err := goBuild(host, "github.com/mcpgate/mcpgate/proxy/interop/conformancehost"); err != nil {
		t.Fatal(err)
	}
	command := host + " -mcpgate " + tc.mcpgate
	suite := func(t *testing.T, args ...string) map[string]bool {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		full := append([]string{tc.node, tc.jsPath("@modelcontextprotocol/conformance/dist/index.js"), "client", "--command", command}, args...)
		p := startProc(t, ctx, "conformance client", full, childEnv(t.TempDir()), procOptions{quiet: true})
		_ = p.wait(8 * time.Minute) // judged by the summary, which lists every scenario
		out := strings.ReplaceAll(ansi.ReplaceAllString(p.out.String(), ""), "\r", "")
		results := map[string]bool{}
		for _, m := range summaryLine.FindAllStringSubmatch(out, -1) {
			results[m[2]] = m[1] == "✓" && m[4] == "0"
		}
		if len(results) == 0 {
			// A single scenario prints no suite summary, only its totals.
			if m := regexp.MustCompile(`Passed: (\d+)/(\d+), (\d+) failed`).FindStringSubmatch(out); m != nil {
				results[args[len(args)-1]] = m[3] == "0" && m[1] == m[2]
			}
		}
		if len(results) == 0 {
			t.Fatalf("no results from conformance client %v:\n%s", args, tail(redact(out), 60))
		}
		if i := strings.Index(out, "=== SUITE SUMMARY ==="); i >= 0 {
			t.Logf("conformance client %v:\n%s", args, out[i:])
		}
		return results
	}
	judge := func(t *testing.T, results map[string]bool) {
		t.Helper()
		for name, ok := range results {
			why, expected := notYetClientScenarios[name]
			switch {
			case !ok && !expected:
				t.Errorf("%s: failed", name)
			case ok && expected:
				t.Errorf("%s: passes now; take it off notYetClientScenarios (%s)", name, why)
			}
		}
	}

	t.Run("auth suite", func(t *testing.T) {
		results := suite(t, "--suite", "auth")
		if len(results) < 14 {
			t.Errorf("the auth suite ran %d scenarios, want at least 14", len(results))
		}
		judge(t, results)
	})
	t.Run("2026-07-28 requirement set", func(t *testing.T) {
		results := suite(t, "--requirements", "2026-07-28")
		for _, name := range []string{"auth/resource-mismatch", "auth/offline-access-scope", "auth/offline-access-not-supported",
			"auth/authorization-server-migration", "auth/iss-supported", "auth/iss-not-advertised", "auth/iss-supported-missing",
			"auth/iss-wrong-issuer", "auth/iss-unexpected", "auth/iss-normalized", "auth/metadata-issuer-mismatch",
			"http-standard-headers", "http-custom-headers", "http-invalid-tool-headers", "request-metadata", "sse-retry"} {
			if _, ran := results[name]; !ran && name != "sse-retry" {
				t.Errorf("%s did not run", name)
			}
		}
		judge(t, results)
	})
	for _, name := range []string{"auth/2025-03-26-oauth-metadata-backcompat", "auth/2025-03-26-oauth-endpoint-fallback", "sse-retry",
		"auth/enterprise-managed-authorization", "auth/dpop", "auth/dpop-nonce"} {
		t.Run(name, func(t *testing.T) { judge(t, suite(t, "--scenario", name)) })
	}
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)
