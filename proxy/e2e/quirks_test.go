package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestClientQuirks: what real clients send, end to end through DCR,
// /authorize and /token.
func TestClientQuirks(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	tests := []struct {
		name       string
		metadata   map[string]any
		authorize  string // redirect_uri at /authorize; empty: the registered one
		edit       func(url.Values)
		wantScope  string
		fullSignIn bool
	}{
		{name: "Cursor private-use scheme", metadata: map[string]any{"client_name": "Cursor",
			"redirect_uris": []string{"cursor://anysphere.cursor-mcp/oauth/callback"}, "token_endpoint_auth_method": "none"}},
		{name: "VS Code loopback, another port", metadata: map[string]any{"client_name": "Visual Studio Code",
			"redirect_uris": []string{"http://127.0.0.1:33418/"}, "token_endpoint_auth_method": "none"},
			authorize: "http://127.0.0.1:52123/", fullSignIn: true},
		{name: "VS Code loopback, no trailing slash", metadata: map[string]any{"client_name": "Visual Studio Code",
			"redirect_uris": []string{"http://127.0.0.1:33418/"}, "token_endpoint_auth_method": "none"},
			authorize: "http://127.0.0.1:60001", fullSignIn: true},
		{name: "mcp-remote localhost callback", metadata: map[string]any{"client_name": "MCP CLI Proxy",
			"redirect_uris": []string{"http://localhost:9876/oauth/callback"}, "token_endpoint_auth_method": "none"},
			authorize: "http://localhost:5555/oauth/callback", fullSignIn: true},
		{name: "Claude.ai HTTPS callback with client_secret_basic", metadata: map[string]any{"client_name": "Claude",
			"redirect_uris": []string{"https://claude.ai/api/mcp/auth_callback"}, "token_endpoint_auth_method": "client_secret_basic",
			"grant_types": []string{"authorization_code", "refresh_token"}}, fullSignIn: true},
		{name: "no scope gets the resource's scopes", metadata: map[string]any{
			"redirect_uris": []string{"http://127.0.0.1:7000/cb"}, "token_endpoint_auth_method": "none"},
			edit: func(q url.Values) { q.Del("scope") }, wantScope: "mcp", fullSignIn: true},
		{name: "empty scope gets the resource's scopes", metadata: map[string]any{
			"redirect_uris": []string{"http://127.0.0.1:7000/cb"}, "token_endpoint_auth_method": "none"},
			edit: func(q url.Values) { q.Set("scope", "") }, wantScope: "mcp", fullSignIn: true},
		{name: "habitual OIDC scopes are dropped", metadata: map[string]any{
			"redirect_uris": []string{"http://127.0.0.1:7000/cb"}, "token_endpoint_auth_method": "none"},
			edit: func(q url.Values) { q.Set("scope", "openid profile email mcp offline_access") }, wantScope: "mcp offline_access", fullSignIn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := g.register(t, tt.metadata)
			if tt.authorize != "" {
				c.RedirectURI = tt.authorize
			}
			authURL := g.authorizeURL(c, tt.edit)
			if !tt.fullSignIn {
				resp := newBrowser(t).get(authURL)
				readBody(t, resp)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("authorize: got %d, want the consent page", resp.StatusCode)
				}
				return
			}
			back := g.signIn(t, newBrowser(t), authURL)
			if got := back.Scheme + "://" + back.Host + back.Path; got != strings.Split(c.RedirectURI, "?")[0] {
				t.Errorf("sent back to %s, want %s", got, c.RedirectURI)
			}
			res := g.exchange(t, c, back.Query().Get("code"))
			if res.Status != http.StatusOK {
				t.Fatalf("exchange: %d %s (%s)", res.Status, res.Error, res.Description)
			}
			if tt.wantScope != "" && res.Scope != tt.wantScope {
				t.Errorf("scope: got %q, want %q", res.Scope, tt.wantScope)
			}
		})
	}
}

// TestRefusedRedirectURIs: registration refuses every unsafe redirect form
// with invalid_redirect_uri.
func TestRefusedRedirectURIs(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	for _, uri := range []string{
		"javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<script>alert(1)</script>",
		"https://app.example.com/cb#fragment", "https://app.example.com/cb#", "http://app.example.com/cb",
		"https://user@app.example.com/cb", "file:///etc/passwd", "vbscript:msgbox", "/relative/cb", "",
	} {
		t.Run(uri, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"redirect_uris": []string{uri}, "token_endpoint_auth_method": "none"})
			resp, err := http.Post(g.URL+"/register", "application/json", strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			var e struct {
				Error string `json:"error"`
			}
			json.Unmarshal([]byte(readBody(t, resp)), &e)
			if resp.StatusCode != http.StatusBadRequest || e.Error != "invalid_redirect_uri" {
				t.Fatalf("got %d %q, want 400 invalid_redirect_uri", resp.StatusCode, e.Error)
			}
		})
	}
}

// TestFallbackEndpoints: 2025-03-26 clients without metadata discovery use
// /authorize, /token and /register at the MCP server's origin; mcpgate
// serves the MCP endpoint and the authorization server on one origin.
func TestFallbackEndpoints(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	origin := strings.TrimSuffix(g.resource(), "/mcp")
	if origin != g.URL {
		t.Fatalf("MCP origin %s differs from the issuer %s", origin, g.URL)
	}
	c := g.registerPublic(t) // POST <origin>/register
	back := g.signIn(t, newBrowser(t), origin+"/authorize?"+strings.SplitN(g.authorizeURL(c, nil), "?", 2)[1])
	if res := g.exchange(t, c, back.Query().Get("code")); res.Status != http.StatusOK { // POST <origin>/token
		t.Fatalf("token at the origin: %d %s", res.Status, res.Error)
	}
}
