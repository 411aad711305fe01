//go:build linux

package interop_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// jsonBackend is a go-sdk MCP server answering with plain JSON rather than
// SSE (StreamableHTTPOptions.JSONResponse), with tools, resources and
// prompts named like the conformance server's.
func jsonBackend(t *testing.T) string {
	srv := mcp.NewServer(&mcp.Implementation{Name: "json-backend", Version: "1.0.0"}, nil)
	for _, name := range []string{"test_simple_text", "test_image_content", "test_error_handling"} {
		mcp.AddTool(srv, &mcp.Tool{Name: name}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil, nil
		})
	}
	for _, uri := range []string{"test://static-text", "test://static-binary"} {
		srv.AddResource(&mcp.Resource{URI: uri, Name: uri}, func(_ context.Context, r *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: r.Params.URI, Text: "ok"}}}, nil
		})
	}
	srv.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: "test://template/{id}/data", Name: "template"},
		func(_ context.Context, r *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: r.Params.URI, Text: "ok"}}}, nil
		})
	srv.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: "secret://{id}", Name: "secret"},
		func(_ context.Context, r *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: r.Params.URI, Text: "ok"}}}, nil
		})
	for _, name := range []string{"test_simple_prompt", "test_prompt_with_arguments"} {
		srv.AddPrompt(&mcp.Prompt{Name: name}, func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: "ok"}}}}, nil
		})
	}
	h := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{JSONResponse: true}))
	t.Cleanup(h.Close)
	return h.URL + "/mcp"
}

// TestPolicyJSONAnswers: the same policy, against a backend that answers
// in JSON: lists are filtered in the JSON body, refusals are mcpgate's.
func TestPolicyJSONAnswers(t *testing.T) {
	tc := requireToolchain(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "mcpgate.yaml")
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(policyYAML, "%s\naudit:\n  path: %s\n", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	backend := jsonBackend(t)
	s := startStack(t, tc, stackOptions{configFile: cfgPath, viaBackend: func(string) string { return backend }})
	eng := &mcpSession{t: t, url: s.resource(), token: s.signInAs(t, userEng, "mcp").AccessToken}
	sales := &mcpSession{t: t, url: s.resource(), token: s.signInAs(t, userSales, "mcp").AccessToken}
	eng.initialize()
	sales.initialize()

	list := sales.post(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	if !strings.HasPrefix(list.contentType, "application/json") {
		t.Fatalf("got %q, want the backend's JSON answer", list.contentType)
	}
	if got := names(t, list.response(t, 1), "tools", "name"); len(got) != 1 || got[0] != "test_image_content" {
		t.Errorf("sales sees tools %v in JSON, want only test_image_content", got)
	}
	if got := names(t, eng.post(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`).response(t, 2), "tools", "name"); len(got) != 2 || slices.Contains(got, "test_error_handling") {
		t.Errorf("engineer sees tools %v, want the two not denied", got)
	}
	if got := names(t, sales.post(`{"jsonrpc":"2.0","id":3,"method":"resources/list"}`).response(t, 3), "resources", "uri"); len(got) != 1 || got[0] != "test://static-binary" {
		t.Errorf("sales sees resources %v, want only test://static-binary", got)
	}
	if got := names(t, eng.post(`{"jsonrpc":"2.0","id":4,"method":"resources/templates/list"}`).response(t, 4), "resourceTemplates", "uriTemplate"); len(got) != 1 || got[0] != "test://template/{id}/data" {
		t.Errorf("engineer sees templates %v, want only test://template/{id}/data (test://* allows it, not secret://)", got)
	}
	if got := names(t, sales.post(`{"jsonrpc":"2.0","id":5,"method":"prompts/list"}`).response(t, 5), "prompts", "name"); len(got) != 1 || got[0] != "test_prompt_with_arguments" {
		t.Errorf("sales sees prompts %v, want only test_prompt_with_arguments", got)
	}
	deniedWith(t, sales.post(`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}`), 6, "tool:test_simple_text")
	deniedWith(t, sales.post(`{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"test://static-text"}}`), 7, "resource:test://static-text")
	deniedWith(t, sales.post(`{"jsonrpc":"2.0","id":8,"method":"prompts/get","params":{"name":"test_simple_prompt"}}`), 8, "prompt:test_simple_prompt")
	if r := eng.post(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}`).response(t, 9); r["result"] == nil {
		t.Errorf("engineer's call: got %v, want a result", r)
	}

	// A batch (2025-03-26): the refused member is answered by mcpgate, the
	// allowed one by the backend, in one array.
	batch := &mcpSession{t: t, url: s.resource(), token: eng.token, version: "2025-03-26"}
	batch.initialize()
	a := batch.post(`[{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}},` +
		`{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"test_error_handling","arguments":{}}}]`)
	if a.status != http.StatusOK || len(a.msgs) != 2 {
		t.Fatalf("batch: got %d %v, want 200 with two answers", a.status, a.msgs)
	}
	if a.response(t, 10)["result"] == nil {
		t.Errorf("batch: allowed member got %v", a.response(t, 10))
	}
	deniedWith(t, a, 11, "tool:test_error_handling")
}
