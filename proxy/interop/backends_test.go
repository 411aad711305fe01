//go:build linux

package interop_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestTwoBackendsOneSignIn: the mcpgate binary in front of the go-sdk
// conformance server over HTTP and a stdio MCP server built with the
// go-sdk; the go-sdk client signs in once (oidc-provider sees one login)
// and lists and calls tools on both; the stdio tool's progress
// notifications reach the client as they happen.
func TestTwoBackendsOneSignIn(t *testing.T) {
	tc := requireToolchain(t)
	server := filepath.Join(t.TempDir(), "stdio-test-server")
	if err := goBuild(server, "github.com/mcpgate/mcpgate/proxy/stdio/stdiotest/server"); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "mcpgate.yaml")
	cfg := fmt.Sprintf("backends:\n  - name: local\n    command: [%q]\n    identity_env: true\n", server)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, tc, stackOptions{configFile: cfgPath})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	b := newBrowser()
	var mu sync.Mutex
	var progress []float64
	connect := func(endpoint, name string) *mcp.ClientSession {
		t.Helper()
		sdk := newGoSDKAuthIn(t, b, "mcpgate interop: "+name, "http://127.0.0.1:7777/"+name+"/callback", nil)
		client := mcp.NewClient(&mcp.Implementation{Name: name, Version: "1"}, &mcp.ClientOptions{
			ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
				mu.Lock()
				progress = append(progress, req.Params.Progress)
				mu.Unlock()
			},
		})
		cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, OAuthHandler: sdk.handler}, nil)
		if err != nil {
			t.Fatalf("connect %s: %v", endpoint, redact(err.Error()))
		}
		t.Cleanup(func() { cs.Close() })
		sdk.token(ctx, t)
		return cs
	}
	remote := connect(s.resource(), "go-sdk-http")
	login := b.visits(s.idp)
	local := connect(s.issuer+"/mcp/local", "go-sdk-stdio")
	if login == 0 || b.visits(s.idp) != login {
		t.Errorf("IdP pages loaded: %d for the first backend, %d after the second; want the second to add none", login, b.visits(s.idp))
	}

	names := func(cs *mcp.ClientSession) []string {
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tool := range res.Tools {
			out = append(out, tool.Name)
		}
		return out
	}
	if got := names(remote); !slices.Contains(got, "test_simple_text") {
		t.Errorf("HTTP backend tools: %v", got)
	}
	if got := names(local); !slices.Contains(got, "echo") || !slices.Contains(got, "progress") {
		t.Errorf("stdio backend tools: %v", got)
	}
	if _, err := remote.CallTool(ctx, &mcp.CallToolParams{Name: "test_simple_text"}); err != nil {
		t.Errorf("HTTP backend call: %v", err)
	}
	res, err := local.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
	if err != nil || res.Content[0].(*mcp.TextContent).Text != "hi" {
		t.Errorf("stdio backend call: %v %v", res, err)
	}
	params := &mcp.CallToolParams{Name: "progress"}
	params.SetProgressToken("p")
	if _, err := local.CallTool(ctx, params); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if fmt.Sprint(progress) != "[1 2 3]" {
		t.Errorf("progress from the stdio backend: got %v, want [1 2 3]", progress)
	}
	mu.Unlock()

	// The TypeScript SDK, with one browser of its own for both backends.
	type tsBackend struct {
		Path     string    `json:"path"`
		IdPHops  int       `json:"idpHops"`
		Tools    []string  `json:"tools"`
		Progress []float64 `json:"progress"`
		Result   string    `json:"result"`
	}
	type tsSummary struct {
		OK       bool        `json:"ok"`
		Error    string      `json:"error"`
		Backends []tsBackend `json:"backends"`
	}
	out, err := runProc(t, "ts-sdk-two-backends", 2*time.Minute,
		[]string{s.tc.node, filepath.Join(s.tc.nodeDir, "ts-sdk-two-backends.mjs"), s.idp, s.resource(), s.issuer + "/mcp/local"},
		childEnv(t.TempDir()), procOptions{})
	sum, perr := lastJSONLine[tsSummary](out)
	if perr != nil || !sum.OK || len(sum.Backends) != 2 {
		t.Fatalf("TypeScript SDK (%s): %v %s\n%s", exitError(err), perr, redact(sum.Error), tail(redact(out), 3000))
	}
	if http, local := sum.Backends[0], sum.Backends[1]; http.IdPHops == 0 || local.IdPHops != 0 ||
		!slices.Contains(http.Tools, "test_simple_text") || !slices.Contains(local.Tools, "echo") ||
		fmt.Sprint(local.Progress) != "[1 2 3]" || local.Result != "done" {
		t.Errorf("TypeScript SDK: got %+v; want an IdP login for the first backend only, both backends' tools, and the stdio progress", sum.Backends)
	}

	// A process killed mid-call: the client gets a JSON-RPC error, and a
	// new session works. (The TypeScript session's process lives on: its
	// client closed without DELETE, so only the idle timeout ends it.)
	live := len(processesOf(t, server))
	if _, err := local.CallTool(ctx, &mcp.CallToolParams{Name: "crash"}); err == nil || !strings.Contains(err.Error(), "process ended") {
		t.Errorf("crash: got %v, want the JSON-RPC error saying the process ended", err)
	}
	again := connect(s.issuer+"/mcp/local", "go-sdk-stdio-again")
	if res, err := again.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "again"}}); err != nil || res.Content[0].(*mcp.TextContent).Text != "again" {
		t.Errorf("after the crash: %v %v", res, err)
	}
	if n := len(processesOf(t, server)); n != live {
		t.Errorf("got %d stdio processes, want %d: the crashed one gone, the new session's started", n, live)
	}

	// SIGTERM to mcpgate: it stops, and no stdio process is left.
	if err := syscall.Kill(s.gw.cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.gw.wait(20 * time.Second); err != nil {
		t.Fatalf("mcpgate after SIGTERM: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(processesOf(t, server)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("stdio processes left after mcpgate stopped: %v", processesOf(t, server))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesOf lists the live (not zombie) processes running program.
func processesOf(t *testing.T, program string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !strings.HasPrefix(string(cmdline), program+"\x00") {
			continue
		}
		if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil && strings.Contains(string(stat), ") Z ") {
			continue
		}
		out = append(out, pid)
	}
	return out
}
