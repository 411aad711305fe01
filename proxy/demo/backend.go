package demo

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Identity headers the demo configures mcpgate to send.
const (
	headerUser   = "X-Forwarded-User"
	headerEmail  = "X-Forwarded-Email"
	headerGroups = "X-Forwarded-Groups"
)

// BackendHandler is the demo MCP server: public-info answers anyone who
// reaches it, protected-data tells the caller who mcpgate said they are.
func BackendHandler() http.Handler {
	server := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-demo-backend", Version: "1.0.0"}, nil)
	server.AddTool(&mcp.Tool{
		Name:        "public-info",
		Description: "Public information about this demo server.",
		InputSchema: emptySchema(),
	}, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return text("This is the mcpgate demo backend. Every request reached it through mcpgate."), nil
	})
	server.AddTool(&mcp.Tool{
		Name:        "protected-data",
		Description: "Returns the identity of the caller as the backend received it from mcpgate.",
		InputSchema: emptySchema(),
	}, func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var h http.Header
		if req.Extra != nil {
			h = req.Extra.Header
		}
		if h.Get(headerUser) == "" {
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "no identity: this request did not come through mcpgate"}}}, nil
		}
		return text(fmt.Sprintf("user: %s\nemail: %s\ngroups: %s",
			h.Get(headerUser), h.Get(headerEmail), strings.TrimSpace(h.Get(headerGroups)))), nil
	})
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
}

func emptySchema() map[string]any {
	return map[string]any{"type": "object", "properties": map[string]any{}}
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}
