//go:build linux

package interop_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testMCPRemote runs `mcp-remote-client <url>`, which signs in through a
// browser it opens with the `open` package, then lists tools. The "browser"
// is node/browser.mjs behind a fake xdg-open (first on PATH, and $BROWSER
// for the xdg-open script `open` bundles); it delivers the final redirect
// to mcp-remote's own loopback listener. A second run must reuse the
// stored tokens without a browser.
func testMCPRemote(t *testing.T, s *stack, wantClientID string, extraArgs ...string) {
	bin := t.TempDir()
	opener := filepath.Join(bin, "xdg-open")
	script := fmt.Sprintf("#!/bin/sh\nexec '%s' '%s' \"$1\"\n", s.tc.node, filepath.Join(s.tc.nodeDir, "browser.mjs"))
	if err := os.WriteFile(opener, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	browserLog := filepath.Join(t.TempDir(), "browser.log")
	env := childEnv(t.TempDir(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"BROWSER="+opener,
		"MCP_REMOTE_CONFIG_DIR="+t.TempDir(),
		"INTEROP_BROWSER_LOG="+browserLog,
	)
	args := append([]string{s.tc.node, s.tc.jsPath("mcp-remote/dist/client.js"), s.resource()}, extraArgs...)

	runs := []struct {
		name string
		// wantBrowserRuns is how many times a browser was opened so far.
		wantBrowserRuns int
	}{
		{name: "FirstRunSignsIn", wantBrowserRuns: 1},
		{name: "SecondRunReusesTokens", wantBrowserRuns: 1},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			// mcp-remote quits when its stdin ends, so stdin stays open.
			out, err := runProc(t, "mcp-remote-client", 2*time.Minute, args, env, procOptions{holdStdin: true})
			visits := browserVisits(t, browserLog)
			if err != nil || !strings.Contains(out, "Exiting OK") {
				t.Fatalf("mcp-remote-client: got %s, want exit 0 and \"Exiting OK\"; browser: %+v\n%s", exitError(err), visits, tail(redact(out), 4000))
			}
			if len(visits) != r.wantBrowserRuns {
				t.Errorf("browser opened %d times so far, want %d", len(visits), r.wantBrowserRuns)
			}
			for _, v := range visits {
				if !v.OK || !v.Consented || !strings.HasSuffix(v.Final, "/oauth/callback") {
					t.Errorf("browser visit: got ok=%v consented=%v final=%q error=%q, want an approved sign-in ending at mcp-remote's /oauth/callback", v.OK, v.Consented, v.Final, v.Error)
				}
			}
			// With static client information mcp-remote skips registration;
			// mcpgate knows no client but the configured one by that id, so
			// a completed sign-in was that client's.
			if wantClientID != "" && !strings.Contains(out, "Using static OAuth client information") {
				t.Errorf("mcp-remote did not use the static client information for %s", wantClientID)
			}
			tools, err := mcpRemoteTools(out)
			if err != nil {
				t.Fatalf("tools list in the output: %v\n%s", err, tail(redact(out), 4000))
			}
			if !slices.Contains(tools, "test_simple_text") {
				t.Errorf("tools: got %v, want test_simple_text among them", tools)
			}
			t.Logf("mcp-remote listed %d tools", len(tools))
		})
	}
}

// staticMCPRemoteClient is registered in mcpgate's configuration (see
// startStack), not by DCR.
const staticMCPRemoteClient = "mcp-remote-static"

// testMCPRemoteStatic signs mcp-remote in with a pre-registered client
// (--static-oauth-client-info): no registration, the configured id.
func testMCPRemoteStatic(t *testing.T, s *stack) {
	testMCPRemote(t, s, staticMCPRemoteClient, "--static-oauth-client-info", `{"client_id":"`+staticMCPRemoteClient+`"}`)
}

// browserVisit is one line of node/browser.mjs's log.
type browserVisit struct {
	OK        bool     `json:"ok"`
	Final     string   `json:"final"`
	Consented bool     `json:"consented"`
	Error     string   `json:"error"`
	Hops      []string `json:"hops"`
}

func browserVisits(t *testing.T, path string) []browserVisit {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var visits []browserVisit
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var v browserVisit
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("browser log line %q: %v", l, err)
		}
		visits = append(visits, v)
	}
	return visits
}

// mcpRemoteTools reads the tool names from the "Tools: {...}" JSON that
// mcp-remote-client logs.
func mcpRemoteTools(out string) ([]string, error) {
	i := strings.Index(out, "Tools: ")
	if i < 0 {
		return nil, fmt.Errorf("no \"Tools: \" in the output")
	}
	var res struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.NewDecoder(strings.NewReader(out[i+len("Tools: "):])).Decode(&res); err != nil {
		return nil, err
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names, nil
}
