package benchmark

import (
	"context"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// EchoIn is the echo tool's argument.
type EchoIn struct {
	Text string `json:"text" jsonschema:"the text to send back"`
}

// NewBackend is a real MCP server (go-sdk, streamable HTTP) with one tool,
// echo. Stateless, so a tools/call needs no initialize and no session, and
// JSON responses, so each call is exactly one POST and one plain response:
// the load measures request forwarding, not SSE framing.
func NewBackend() http.Handler {
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-bench-backend", Version: "1.0.0"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "Returns its text argument."},
		func(_ context.Context, _ *mcp.CallToolRequest, in EchoIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
		})
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
}
