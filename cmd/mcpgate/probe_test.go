package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/proxy/stdio/stdiotest"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

// The test binary is also a stdio MCP server for the probe: started with
// STDIO_TEST_SERVER=1 it serves MCP on stdin and stdout.
func TestMain(m *testing.M) {
	if os.Getenv("STDIO_TEST_SERVER") == "1" {
		stdiotest.Serve()
		return
	}
	os.Exit(m.Run())
}

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
	tests := []struct {
		name       string
		env        []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "everything answers", env: []string{"MCPGATE_BACKENDS=[" + stdioServer + "]"}, wantCode: 0,
			wantStdout: []string{"upstream " + idp.Issuer() + ": discovery OK", "backend (default) " + backend.URL + "/mcp: reachable (HTTP 405",
				"backend local " + os.Args[0] + ": started and initialized: stdio-test-server 1"}},
		{name: "nothing answers", env: []string{"MCPGATE_UPSTREAM_ISSUER=http://127.0.0.1:1", "MCPGATE_BACKEND_URL=http://127.0.0.1:1/mcp",
			`MCPGATE_BACKENDS=[{"name":"cat","command":["sh","-c","exec cat >/dev/null"]}]`}, wantCode: 1,
			wantStderr: []string{"probe: upstream http://127.0.0.1:1: FAILED", "probe: backend (default) http://127.0.0.1:1/mcp: FAILED",
				"probe: backend cat sh: FAILED", "3 probe(s) failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"check", "--config", "testdata/valid.yaml", "--probe"}, append(base, tt.env...), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}
