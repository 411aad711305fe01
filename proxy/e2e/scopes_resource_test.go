package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
)

// TestUnofferedScopesDropped: Claude.ai registers and authorizes with
// "scope": "claudeai", a scope no server offers. The registration drops it
// (RFC 7591 §2), the authorization grants the resource's scopes instead
// (RFC 6749 §3.3) and says so in the token response, and the token works.
// Other scopes mcpgate does not offer are dropped the same way; with
// mcp.strict_scopes they are refused.
func TestUnofferedScopesDropped(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL+"/mcp", func(c *config.Config) {
		c.MCP.Scopes = []string{"mcp", "mcp:write"}
	})})
	tests := []struct {
		name, registered, requested, wantScope string
	}{
		{name: "Claude.ai", registered: "claudeai", requested: "claudeai", wantScope: "mcp mcp:write"},
		{name: "unknown beside a known one", requested: "mcp:write admin", wantScope: "mcp:write"},
		{name: "habitual OIDC scopes", requested: "openid profile email", wantScope: "mcp mcp:write"},
		{name: "offline_access alone", requested: "offline_access", wantScope: "mcp mcp:write offline_access"},
		{name: "registered narrower, asks wider", registered: "mcp", requested: "mcp mcp:write", wantScope: "mcp"},
		{name: "no scope", requested: "", wantScope: "mcp mcp:write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := map[string]any{
				"client_name":                "Claude",
				"redirect_uris":              []string{"https://claude.ai/api/mcp/auth_callback"},
				"token_endpoint_auth_method": "client_secret_post",
				"grant_types":                []string{"authorization_code", "refresh_token"},
			}
			if tt.registered != "" {
				md["scope"] = tt.registered
			}
			c := g.register(t, md)
			back := g.signIn(t, newBrowser(t), g.authorizeURL(c, func(q url.Values) { q.Set("scope", tt.requested) }))
			res := g.exchange(t, c, back.Query().Get("code"))
			if res.Status != http.StatusOK {
				t.Fatalf("exchange: %d %s %s", res.Status, res.Error, res.Description)
			}
			if res.Scope != tt.wantScope {
				t.Errorf("token response scope: got %q, want %q", res.Scope, tt.wantScope)
			}
			if got := verifyWithJWKS(t, g.URL+"/jwks", res.AccessToken).Scope; got != tt.wantScope {
				t.Errorf("access token scope: got %q, want %q", got, tt.wantScope)
			}
			if status := mcpStatus(t, g, res.AccessToken); status != http.StatusOK {
				t.Errorf("MCP call: got %d, want 200", status)
			}
			// mcp-remote sends its OIDC scopes on refreshes too.
			ref := g.tokenRequest(t, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {res.RefreshToken}, "scope": {"openid email profile"}})
			if ref.Status != http.StatusOK || ref.Scope != tt.wantScope {
				t.Errorf("refresh with OIDC scopes: got %d %q %s, want 200 with %q", ref.Status, ref.Scope, ref.Error, tt.wantScope)
			}
		})
	}
	t.Run("refresh cannot widen", func(t *testing.T) {
		c := g.registerPublic(t)
		back := g.signIn(t, newBrowser(t), g.authorizeURL(c, func(q url.Values) { q.Set("scope", "mcp") }))
		res := g.exchange(t, c, back.Query().Get("code"))
		ref := g.tokenRequest(t, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {res.RefreshToken}, "scope": {"mcp mcp:write"}})
		if ref.Status != http.StatusBadRequest || ref.Error != "invalid_scope" {
			t.Errorf("got %d %s, want 400 invalid_scope", ref.Status, ref.Error)
		}
	})
}

// TestStrictScopesRefuseUnoffered: with mcp.strict_scopes, the same
// requests are refused with the standard errors.
func TestStrictScopesRefuseUnoffered(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.MCP.StrictScopes = true
		withConfiguredClient(c)
	}})
	body := `{"client_name":"Claude","redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"scope":"claudeai"}`
	resp, err := http.Post(g.URL+"/register", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if text := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(text, "invalid_client_metadata") {
		t.Errorf("register: got %d %s, want 400 invalid_client_metadata", resp.StatusCode, text)
	}
	c := client{ID: configuredClientID, RedirectURI: "http://127.0.0.1:7777/callback", Verifier: strings.Repeat("v", 50)}
	r := newBrowser(t).get(g.authorizeURL(c, func(q url.Values) { q.Set("scope", "claudeai") }))
	readBody(t, r)
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != http.StatusFound || loc.Query().Get("error") != "invalid_scope" {
		t.Errorf("authorize: got %d %s, want a redirect with invalid_scope", r.StatusCode, loc)
	}
}

// TestResourceDefaultsToTheOneServed: a client that sends no resource
// (the conformance suite without --resource, Claude Code in some
// versions, ChatGPT in 2025) gets a token for the one resource mcpgate
// serves, as RFC 8707 allows; a resource that is sent must still match.
func TestResourceDefaultsToTheOneServed(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL + "/mcp")})
	c := g.registerPublic(t)
	back := g.signIn(t, newBrowser(t), g.authorizeURL(c, func(q url.Values) { q.Del("resource") }))
	code := back.Query().Get("code")
	if code == "" {
		t.Fatalf("no code without resource: %s", back)
	}
	res := g.tokenRequest(t, c, url.Values{
		"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {c.RedirectURI}, "code_verifier": {c.Verifier},
	})
	if res.Status != http.StatusOK {
		t.Fatalf("exchange without resource: %d %s", res.Status, res.Error)
	}
	if aud := verifyWithJWKS(t, g.URL+"/jwks", res.AccessToken).Audience; aud != g.resource() {
		t.Errorf("aud: got %q, want %q", aud, g.resource())
	}
	if status := mcpStatus(t, g, res.AccessToken); status != http.StatusOK {
		t.Errorf("MCP call: got %d, want 200", status)
	}
	t.Run("trailing slash and case", func(t *testing.T) {
		c := g.registerPublic(t)
		back := g.signIn(t, newBrowser(t), g.authorizeURL(c, func(q url.Values) { q.Set("resource", strings.ToUpper(g.URL[:4])+g.URL[4:]+"/mcp/") }))
		if back.Query().Get("code") == "" {
			t.Fatalf("no code: %s", back)
		}
	})
	t.Run("another resource at the token endpoint", func(t *testing.T) {
		c := g.registerPublic(t)
		back := g.signIn(t, newBrowser(t), g.authorizeURL(c, nil))
		res := g.tokenRequest(t, c, url.Values{
			"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
			"redirect_uri": {c.RedirectURI}, "code_verifier": {c.Verifier}, "resource": {"https://other.example.com/mcp"},
		})
		if res.Status != http.StatusBadRequest || res.Error != "invalid_target" {
			t.Errorf("got %d %s, want 400 invalid_target", res.Status, res.Error)
		}
	})
}
