//go:build linux

package interop_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// naiveBackend answers 2026-07-28 requests without checking any header:
// tools/list with one tool, every other request with an empty result. In
// front of it, only mcpgate checks Mcp-Method and Mcp-Name.
func naiveBackend(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil || req.ID == nil {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		result := `{"resultType":"complete"}`
		switch req.Method {
		case "tools/list":
			result = `{"resultType":"complete","ttlMs":0,"cacheScope":"private","tools":[{"name":"echo","inputSchema":{"type":"object"}}]}`
		case "tools/call":
			result = `{"resultType":"complete","content":[{"type":"text","text":"ok"}]}`
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, result)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

// TestHeaderValidationConformance runs the conformance scenario
// http-header-validation (SEP-2243) through mcpgate in front of a backend
// that validates nothing: every check passes, because mcpgate refuses the
// mismatches itself (400, -32020). Directly, the backend fails them.
func TestHeaderValidationConformance(t *testing.T) {
	tc := requireToolchain(t)
	shim := newBearerShim(t)
	backend := naiveBackend(t)
	s := startStack(t, tc, stackOptions{allowedOrigins: []string{shim.origin()}, allowedHosts: []string{shim.host()},
		viaBackend: func(string) string { return backend }})
	tok := s.signIn(t)
	gateway, _ := url.Parse(s.issuer)
	shim.forwardTo(gateway, tok.AccessToken)
	args := []string{"--scenario", "http-header-validation"}
	direct := runServerSuite(t, s, backend, args)["http-header-validation"]
	via := runServerSuite(t, s, shim.origin()+"/mcp", args)["http-header-validation"]
	if len(via) == 0 {
		t.Fatal("the scenario ran no check through mcpgate")
	}
	for _, c := range via {
		if c.Status != "SUCCESS" {
			t.Errorf("through mcpgate: %s %s: %s", c.Name, c.Status, c.ErrorMessage)
		}
	}
	t.Logf("http-header-validation: directly against the naive backend %d/%d checks pass, through mcpgate %d/%d",
		countStatus(map[string][]suiteCheck{"": direct}, "SUCCESS"), len(direct), countStatus(map[string][]suiteCheck{"": via}, "SUCCESS"), len(via))
}
