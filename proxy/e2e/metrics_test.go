package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// TestMetrics: after a sign-in, a refresh, a forwarded call, a call the
// policy refuses and a request without a token, the metrics say exactly
// that, and no label names a user or a client.
func TestMetrics(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL
		c.Policy.Rules = []config.Rule{{Name: "no-delete", Allow: config.Permissions{Tools: []string{"*"}}, Deny: config.Permissions{Tools: []string{"delete"}}}}
		c.Tokens.RefreshGrace = time.Millisecond
	}})
	c := g.registerPublic(t)
	code := g.code(t, c)
	tokens := g.exchange(t, c, code)
	first := tokens.RefreshToken
	tokens = g.refresh(t, c, first)
	// A replayed code and a reused refresh token each revoke their grant:
	// sign in again for the rest.
	time.Sleep(5 * time.Millisecond)
	g.refresh(t, c, first)
	g.exchange(t, c, code)
	tokens = g.exchange(t, c, g.code(t, c))
	tokens = g.refresh(t, c, tokens.RefreshToken)
	call := func(tool string) {
		t.Helper()
		if status, body := g.postMCP(t, tokens.AccessToken, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"`+tool+`","arguments":{}}}`); status != http.StatusOK {
			t.Fatalf("tools/call %s: %d %s", tool, status, body)
		}
	}
	call("echo")
	call("delete")
	if status, _ := g.postMCP(t, "", `{"jsonrpc":"2.0","id":1,"method":"ping"}`); status != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", status)
	}

	// A sign-in the policy refuses, by its reason.
	refusing := *g.cfg
	refusing.Policy.SignIn.AllowedEmailDomains = []string{"elsewhere.example"}
	if err := g.App.ReloadPolicy(&refusing); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	cb, err := g.IdP.Login(context.Background(), b.client, g.approve(t, b, g.authorizeURL(g.registerPublic(t), nil)))
	if err != nil {
		t.Fatal(err)
	}
	if resp := b.get(cb.String()); readBody(t, resp) == "" || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the refused sign-in: %d", resp.StatusCode)
	}

	rec := httptest.NewRecorder()
	g.App.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	scraped := rec.Body.String()
	for _, want := range []string{
		`mcpgate_signins_total{outcome="allowed",reason=""} 2`,
		`mcpgate_signins_total{outcome="refused",reason="email_not_allowed"} 1`,
		`mcpgate_token_requests_total{grant_type="authorization_code",outcome="issued"} 2`,
		`mcpgate_token_requests_total{grant_type="authorization_code",outcome="invalid_grant"} 1`,
		`mcpgate_token_requests_total{grant_type="refresh_token",outcome="issued"} 2`,
		`mcpgate_token_requests_total{grant_type="refresh_token",outcome="invalid_grant"} 1`,
		`mcpgate_token_replays_total{kind="code"} 1`,
		`mcpgate_token_replays_total{kind="refresh_token"} 1`,
		`mcpgate_mcp_requests_total{backend="default",method="tools/call",outcome="forwarded"} 1`,
		`mcpgate_mcp_requests_total{backend="default",method="tools/call",outcome="denied"} 1`,
		`mcpgate_mcp_requests_total{backend="default",method="unread",outcome="unauthorized"} 1`,
		`mcpgate_policy_denials_total{backend="default",kind="tool"} 1`,
		`mcpgate_mcp_added_seconds_count 1`,
		`mcpgate_backend_seconds_count{backend="default"} 1`,
		`mcpgate_http_requests_total{route="/token",status="200"} 4`,
		`mcpgate_http_requests_total{route="/token",status="400"} 2`,
		`mcpgate_http_requests_total{route="/register",status="201"} 2`,
		`mcpgate_sse_streams 0`,
		`go_goroutines `,
		`mcpgate_store_operations_total{op="RedeemAuthCode",outcome="ok"} 2`,
		`mcpgate_store_operations_total{op="RotateRefreshToken",outcome="ok"} 2`,
		`mcpgate_store_operation_seconds_count{op="CreateClient"} 2`,
		`mcpgate_upstream_requests_total{idp="default",outcome="2xx"}`,
		`mcpgate_upstream_request_seconds_count{idp="default"}`,
	} {
		if !strings.Contains(scraped, want) {
			t.Errorf("the metrics lack %s", want)
		}
	}
	for _, never := range []string{c.ID, g.IdP.Subject, g.IdP.Email, tokens.AccessToken[:20]} {
		if strings.Contains(scraped, never) {
			t.Errorf("the metrics name %q", never)
		}
	}
	if t.Failed() {
		t.Logf("scraped:\n%s", grepLines(scraped, "mcpgate_"))
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
