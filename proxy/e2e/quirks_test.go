package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

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
