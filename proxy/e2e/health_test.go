package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestProbes: /healthz and /readyz answer whatever Host the request names
// (a kubelet sends the pod's address), which every other endpoint
// refuses; /readyz names its checks and turns 503 when the store is gone,
// saying nothing more.
func TestProbes(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	get := func(path, host string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, g.URL+path, nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		var out map[string]any
		json.Unmarshal([]byte(body), &out)
		return resp.StatusCode, out
	}
	const podAddr = "10.1.2.3:8080"
	if status, out := get("/healthz", podAddr); status != http.StatusOK || out["status"] != "ok" {
		t.Errorf("/healthz: %d %v", status, out)
	}
	status, out := get("/readyz", podAddr)
	checks, _ := out["checks"].(map[string]any)
	if status != http.StatusOK || out["status"] != "ready" || checks["store"] != "ok" || checks["signing_key"] != "ok" || checks["upstream"] != "ok" {
		t.Errorf("/readyz: %d %v", status, out)
	}
	if status, _ := get("/.well-known/oauth-authorization-server", podAddr); status != http.StatusForbidden {
		t.Errorf("metadata with the pod's address as Host: %d, want 403 (only the probes are exempt)", status)
	}

	g.App.Store.Close()
	status, out = get("/readyz", podAddr)
	checks, _ = out["checks"].(map[string]any)
	if status != http.StatusServiceUnavailable || out["status"] != "not ready" || checks["store"] != "failing" || checks["signing_key"] != "ok" {
		t.Errorf("/readyz without the store: %d %v", status, out)
	}
	raw, _ := json.Marshal(out)
	if strings.Contains(string(raw), "memory") || strings.Contains(string(raw), "unavailable") {
		t.Errorf("/readyz says more than ok or failing: %s", raw)
	}
	if status, _ := get("/healthz", podAddr); status != http.StatusOK {
		t.Errorf("/healthz without the store: %d, want 200 (alive)", status)
	}
}
