package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/stdio/stdiotest"
)

// buildStdioServer builds the stdio MCP test server (proxy/stdio/stdiotest).
func buildStdioServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "stdio-test-server")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/mcpgate/mcpgate/proxy/stdio/stdiotest/server").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// bearer adds a token to every request of an MCP client.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// TestStdioBackendThroughMCPGate: a stdio MCP server behind mcpgate beside
// an HTTP backend: the go-sdk client lists and calls its tools with a
// token for it, progress notifications stream as they happen, the
// process sees the user's identity and none of mcpgate's secrets, and
// stopping mcpgate leaves no process behind.
func TestStdioBackendThroughMCPGate(t *testing.T) {
	t.Setenv("MCPGATE_TEST_LEAK_CANARY", "leak-me-canary")
	server := buildStdioServer(t)
	tools := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(tools.URL+"/mcp", func(c *config.Config) {
		c.Backends = []config.NamedBackend{{Name: "local", Command: []string{server}, IdentityEnv: true}}
	})})
	local := g.URL + "/mcp/local"
	token := tokenFor(t, g, local, "")

	var mu sync.Mutex
	var progress []string
	var firstProgress time.Time
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			if len(progress) == 0 {
				firstProgress = time.Now()
			}
			progress = append(progress, fmt.Sprintf("%v@%s", req.Params.Progress, time.Now().Format("15:04:05.000")))
			mu.Unlock()
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: local, HTTPClient: &http.Client{Transport: bearer{token}}}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cs.Close()
	list, err := cs.ListTools(ctx, nil)
	if err != nil || len(list.Tools) != 5 {
		t.Fatalf("tools/list: %v %v", list, err)
	}
	rec := httptest.NewRecorder()
	g.App.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `mcpgate_stdio_processes{backend="local"} 1`) {
		t.Errorf("metrics with the session's process running lack mcpgate_stdio_processes{backend=\"local\"} 1")
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "through mcpgate"}})
	if err != nil || res.Content[0].(*mcp.TextContent).Text != "through mcpgate" {
		t.Fatalf("echo: %v %v", res, err)
	}
	params := &mcp.CallToolParams{Name: "progress"}
	params.SetProgressToken("p")
	if _, err := cs.CallTool(ctx, params); err != nil {
		t.Fatal(err)
	}
	answered := time.Now()
	mu.Lock()
	if len(progress) != 3 {
		t.Errorf("progress: got %v, want 3 notifications", progress)
	}
	// The tool sleeps 50 ms after each notification: streamed as they
	// happen, the first arrives about 150 ms before the answer, not with it.
	if lead := answered.Sub(firstProgress); lead < 80*time.Millisecond {
		t.Errorf("the first progress notification came %v before the answer, want it streamed at once (about 150 ms before)", lead)
	}
	mu.Unlock()

	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "env"})
	if err != nil {
		t.Fatal(err)
	}
	env := res.Content[0].(*mcp.TextContent).Text
	if !strings.Contains(env, "MCP_USER_EMAIL="+g.IdP.Email) {
		t.Errorf("the process does not see the user's email")
	}
	if strings.Contains(env, "leak-me") || strings.Contains(env, "MCPGATE_") {
		t.Errorf("the process sees mcpgate's environment:\n%s", env)
	}
	first, _, _ := strings.Cut(env, "\n")
	pid, _ := strconv.Atoi(strings.TrimPrefix(first, "pid="))

	// The HTTP backend's token is no good here.
	other := g.accessToken(t)
	req, _ := http.NewRequest(http.MethodPost, local, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Authorization", "Bearer "+other)
	req.Header.Set("Mcp-Session-Id", cs.ID())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the tools backend's token at the stdio backend: got %d, want 401", resp.StatusCode)
	}

	// Stopping mcpgate stops the process.
	if err := g.App.Close(); err != nil {
		t.Fatal(err)
	}
	if !stdiotest.WaitGone(pid, 10*time.Second) {
		t.Fatalf("process %d still running after mcpgate closed", pid)
	}
}
