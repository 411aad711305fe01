package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
)

// TestForwardStripsIdentityHeaderSpellings: a client cannot reach the
// backend with an identity header in another spelling (underscores, which
// CGI/WSGI backends read like dashes; case), in another common identity
// family, or in a family the operator names; and X-Forwarded-For, -Host
// and -Proto say what mcpgate saw, not what the client appended to.
func TestForwardStripsIdentityHeaderSpellings(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL+"/mcp", func(c *config.Config) {
		c.Backend.StripHeaders = []string{"X-Tenant", "X-Internal-*"}
	})})
	token := g.accessToken(t)

	forged := []string{
		"X_Forwarded_User", "X_Forwarded_Groups", "X_FORWARDED_EMAIL", "x-forwarded-user",
		"X-User-Email", "X-User", "X-Email", "X-Groups",
		"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups",
		"Remote-User", "Remote-Groups", "Remote-Email", "X-Remote-User",
		"X-Real-IP", "True-Client-IP", "X-Client-IP", "CF-Connecting-IP",
		"X-Webauth-User", "X-Authenticated-User",
		"Cf-Access-Authenticated-User-Email", "X-Goog-Authenticated-User-Email",
		"X-Ms-Client-Principal-Name", "X-Amzn-Oidc-Identity", "X-Original-Forwarded-For",
		"X-Tenant", "X_Tenant", "X-Internal-Role",
	}
	req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for _, name := range forged {
		req.Header[name] = []string{"admins"} // sent exactly as spelled
	}
	req.Header["X-Forwarded-For"] = []string{"203.0.113.66"}
	req.Header["X-Forwarded-Host"] = []string{"evil.example.com"}
	req.Header["X-Forwarded-Proto"] = []string{"gopher"}
	req.Header.Set("Mcp-Session-Id", "s-1")
	req.Header.Set("X-Unrelated", "kept")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("got %d %q, want 200", resp.StatusCode, body)
	}
	got := backend.last()
	for name, values := range got {
		for _, v := range values {
			if v == "admins" {
				t.Errorf("backend got %s: %q, a header the client made up", name, v)
			}
		}
	}
	wantUser := g.IdP.Issuer() + "#" + g.IdP.Subject
	checks := []struct{ header, want string }{
		{"X-Forwarded-User", wantUser},
		{"X-Forwarded-Email", g.IdP.Email},
		{"X-Forwarded-Groups", ""},
		{"X-Forwarded-For", "127.0.0.1"},
		{"X-Forwarded-Host", strings.TrimPrefix(g.URL, "http://")},
		{"X-Forwarded-Proto", "http"},
		{"Mcp-Session-Id", "s-1"},
		{"X-Unrelated", "kept"},
	}
	for _, c := range checks {
		if v := got.Values(c.header); strings.Join(v, ",") != c.want {
			t.Errorf("%s: got %q, want %q", c.header, v, c.want)
		}
	}
}
