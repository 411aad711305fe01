package benchmark

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

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

// staticAnswer is what the echo tool answers through the SDK, byte for
// byte in content, so both backends look alike to the proxies.
var staticAnswer = []byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"` + EchoText + `"}]}}`)

// NewStaticBackend answers every POST with the echo's answer without
// parsing anything, and holds every GET open as an idle SSE stream. The go-sdk server allocates ~380 KB per stateless call
// (a session per request), which hides a proxy's cost; against this
// backend nearly all the CPU left is HTTP and the proxies, so it shows
// mcpgate's overhead at its most visible.
func NewStaticBackend() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			// An idle MCP GET stream: headers, then nothing until the
			// client goes (the streams measurement holds thousands).
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			http.NewResponseController(w).Flush()
			<-r.Context().Done()
			return
		}
		if r.Method != http.MethodPost {
			http.Error(w, "POST or GET only", http.StatusMethodNotAllowed)
			return
		}
		// Drain the body as a real server would before answering.
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(staticAnswer)))
		w.Write(staticAnswer)
	})
}

// Backend kinds for NewBackendKind.
const (
	BackendSDK    = "sdk"
	BackendStatic = "static"
)

// NewBackendKind returns the backend of the given kind.
func NewBackendKind(kind string) (http.Handler, error) {
	switch kind {
	case BackendSDK, "":
		return NewBackend(), nil
	case BackendStatic:
		return NewStaticBackend(), nil
	}
	return nil, fmt.Errorf("benchmark: unknown backend %q (want %s or %s)", kind, BackendSDK, BackendStatic)
}
