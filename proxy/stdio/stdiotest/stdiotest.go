// Package stdiotest is a stdio MCP server for tests, built with the
// go-sdk: echo, progress (three progress notifications, then a result),
// env (its pid and environment), snoop (what it can read of its
// parent) and crash (exits mid-call).
package stdiotest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type echoIn struct {
	Text string `json:"text"`
}

// Serve serves MCP on stdin and stdout until stdin ends. A process whose
// MCP_USER_SUB is STDIO_TEST_SLOW_START_FOR starts 3 s late.
func Serve() {
	if slow := os.Getenv("STDIO_TEST_SLOW_START_FOR"); slow != "" && slow == os.Getenv("MCP_USER_SUB") {
		time.Sleep(3 * time.Second)
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "stdio-test-server", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "progress"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		token := req.Params.GetProgressToken()
		for i := 1; i <= 3; i++ {
			if token != nil {
				_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: token, Progress: float64(i), Total: 3})
			}
			time.Sleep(50 * time.Millisecond)
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "env"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		text := "pid=" + strconv.Itoa(os.Getpid()) + "\n" + strings.Join(os.Environ(), "\n")
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "snoop"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: snoop()}}}, nil, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "crash"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		os.Exit(3)
		return nil, nil, nil
	})
	_ = srv.Run(context.Background(), &mcp.StdioTransport{})
}

// TestMain is the TestMain of a test binary that is also the stdio MCP
// server under test: started with STDIO_TEST_SERVER=1 it serves MCP on
// stdin and stdout, otherwise it runs the tests.
func TestMain(m *testing.M) {
	if os.Getenv("STDIO_TEST_SERVER") == "1" {
		Serve()
		return
	}
	os.Exit(m.Run())
}

// WaitGone waits up to d for process pid to be gone (a zombie counts as
// gone) and reports whether it went.
func WaitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
