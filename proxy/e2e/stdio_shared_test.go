package e2e_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/stdio/stdiotest"
)

// TestSharedAndStatelessStdio: through mcpgate, sessions of a backend
// with sessions: shared use one process; a 2026-07-28 client without a
// session is served by a per-session backend's shared process, with its
// progress streamed on the request and the backend's rules enforced; and
// stopping mcpgate stops both processes.
func TestSharedAndStatelessStdio(t *testing.T) {
	server := buildStdioServer(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backends = []config.NamedBackend{
			{Name: "shared", Command: []string{server}, Sessions: config.SessionsShared},
			{Name: "plain", Command: []string{server}, Policy: config.BackendPolicy{Rules: []config.Rule{
				{Name: "no-crash", Allow: config.Permissions{Tools: []string{"*"}}, Deny: config.Permissions{Tools: []string{"crash"}}},
			}}},
		}
	}})
	connect := func(resource, version string, opts *mcp.ClientOptions) *mcp.ClientSession {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		transport := &mcp.StreamableClientTransport{Endpoint: resource, HTTPClient: &http.Client{Transport: bearer{tokenFor(t, g, resource, "")}}}
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, opts).Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: version})
		if err != nil {
			t.Fatalf("connect %s (%s): %v", resource, version, err)
		}
		t.Cleanup(func() { cs.Close() })
		return cs
	}
	pidOf := func(cs *mcp.ClientSession) int {
		t.Helper()
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "env"})
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(res.Content[0].(*mcp.TextContent).Text, "\n")
		pid, _ := strconv.Atoi(strings.TrimPrefix(first, "pid="))
		return pid
	}

	shared := g.URL + "/mcp/shared"
	one, two := connect(shared, "2025-11-25", nil), connect(shared, "2025-11-25", nil)
	if one.ID() == "" || one.ID() == two.ID() {
		t.Fatalf("sessions %q and %q: want two", one.ID(), two.ID())
	}
	sharedPID := pidOf(one)
	if pid := pidOf(two); pid != sharedPID {
		t.Errorf("two sessions of the shared backend ran in processes %d and %d, want one", sharedPID, pid)
	}

	var mu sync.Mutex
	var progress []float64
	stateless := connect(g.URL+"/mcp/plain", "2026-07-28", &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progress = append(progress, req.Params.Progress)
			mu.Unlock()
		}})
	if stateless.ID() != "" {
		t.Errorf("session %q: want a stateless client", stateless.ID())
	}
	params := &mcp.CallToolParams{Name: "progress"}
	params.SetProgressToken("p")
	if _, err := stateless.CallTool(context.Background(), params); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(progress) != 3 {
		t.Errorf("progress: got %v, want 3 notifications before the answer", progress)
	}
	mu.Unlock()
	plainPID := pidOf(stateless)
	if again := pidOf(stateless); again != plainPID {
		t.Errorf("stateless calls ran in processes %d and %d, want the one shared", plainPID, again)
	}
	_, err := stateless.CallTool(context.Background(), &mcp.CallToolParams{Name: "crash"})
	if err == nil || !strings.Contains(err.Error(), "permission denied: tool crash") {
		t.Errorf("denied tool: got %v, want the policy's refusal", err)
	}
	if pid := pidOf(stateless); pid != plainPID {
		t.Errorf("after the refused call: process %d, want %d still running (the call never reached it)", pid, plainPID)
	}

	if err := g.App.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{sharedPID, plainPID} {
		if !stdiotest.WaitGone(pid, 10*time.Second) {
			t.Errorf("process %d still running after mcpgate closed", pid)
		}
	}
}
