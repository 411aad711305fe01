package e2e_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
)

// TestRequestIDs: every request gets one id, sent back to the client, to
// the backend and into the audit log; a trusted proxy's X-Request-Id is
// kept, anyone else's replaced.
func TestRequestIDs(t *testing.T) {
	backend := startRecordingBackend(t)
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	trusted := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL
		c.Audit.Path = auditPath
		c.TrustedProxies = []string{"127.0.0.0/8"}
	}})
	untrusted := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Backend.URL = backend.URL }})
	call := func(g *gateway, token, id string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		if got := backend.last().Values("X-Request-Id"); len(got) != 1 || got[0] != resp.Header.Get("X-Request-Id") {
			t.Errorf("the backend got request id %q, the client %q", got, resp.Header.Get("X-Request-Id"))
		}
		return resp.Header.Get("X-Request-Id")
	}
	if got := call(trusted, trusted.accessToken(t), "lb-0042"); got != "lb-0042" {
		t.Errorf("through a trusted proxy: request id %q, want the proxy's lb-0042", got)
	}
	if raw := trusted.auditLog(t, auditPath); !strings.Contains(raw, `"request_id":"lb-0042"`) {
		t.Errorf("the audit log lacks the request id:\n%s", raw)
	}
	if got := call(untrusted, untrusted.accessToken(t), "forged-id"); got == "forged-id" || got == "" {
		t.Errorf("from an untrusted address: request id %q, want one mcpgate made", got)
	}
	if got := call(trusted, trusted.accessToken(t), "bad id!"); got == "" || got == "bad id!" {
		t.Errorf("a malformed id: %q, want one mcpgate made", got)
	}
}
