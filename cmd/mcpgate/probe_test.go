package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"

	"github.com/mcpgate/mcpgate/proxy/stdio/stdiotest"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

// The test binary is also a stdio MCP server (STDIO_TEST_SERVER=1).
func TestMain(m *testing.M) { stdiotest.TestMain(m) }

// TestCheckProbe: check --probe contacts the upstream IdP, every HTTP
// backend and every stdio program, and fails naming each that does not
// answer.
func TestCheckProbe(t *testing.T) {
	idp := oidctest.StartHostile(t, oidctest.HostileOptions{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusMethodNotAllowed)
	}))
	defer backend.Close()
	base := []string{"MCPGATE_UPSTREAM_ISSUER=" + idp.Issuer(), "MCPGATE_BACKEND_URL=" + backend.URL + "/mcp"}
	stdioServer := `{"name":"local","command":["` + os.Args[0] + `"],"env":{"STDIO_TEST_SERVER":"1"}}`
	args := []string{"check", "--config", "testdata/valid.yaml", "--probe"}
	runCommandCases(t, []commandCase{
		{name: "everything answers", args: args, env: append(slices.Clone(base), "MCPGATE_BACKENDS=["+stdioServer+"]"), wantCode: 0,
			wantStdout: []string{"upstream " + idp.Issuer() + ": discovery OK", "store memory:: reachable", "backend (default) " + backend.URL + "/mcp: reachable (HTTP 405",
				"backend local " + os.Args[0] + ": started and initialized: stdio-test-server 1"}},
		{name: "nothing answers", args: args, env: append(slices.Clone(base), "MCPGATE_UPSTREAM_ISSUER=http://127.0.0.1:1", "MCPGATE_BACKEND_URL=http://127.0.0.1:1/mcp",
			`MCPGATE_BACKENDS=[{"name":"cat","command":["sh","-c","exec cat >/dev/null"]}]`, "MCPGATE_STORE=redis://:s3cret@127.0.0.1:1/0"), wantCode: 1,
			wantStderr: []string{"probe: upstream http://127.0.0.1:1: FAILED", "probe: store redis://:xxxxx@127.0.0.1:1/0: FAILED",
				"probe: backend (default) http://127.0.0.1:1/mcp: FAILED", "probe: backend cat sh: FAILED", "4 probe(s) failed"}, never: "s3cret"},
	})
}
