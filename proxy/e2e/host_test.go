package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
)

// TestForeignHostRefused: DNS rebinding. A page whose name was pointed at
// mcpgate's address sends its own name as Host; every endpoint refuses it
// with 403 before doing anything, while public_url's host and the
// configured allowed hosts are served.
func TestForeignHostRefused(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL+"/mcp", func(c *config.Config) {
		c.AllowedHosts = []string{"mcp.internal"}
	})})
	token := g.accessToken(t)
	c := g.registerPublic(t)
	mcpBody := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	requests := []struct {
		name, method, path, body, contentType string
		bearer                                bool
	}{
		{name: "AS metadata", method: "GET", path: "/.well-known/oauth-authorization-server"},
		{name: "resource metadata", method: "GET", path: "/.well-known/oauth-protected-resource/mcp"},
		{name: "jwks", method: "GET", path: "/jwks"},
		{name: "authorize", method: "GET", path: strings.TrimPrefix(g.authorizeURL(c, nil), g.URL)},
		{name: "token", method: "POST", path: "/token", body: "grant_type=refresh_token&refresh_token=x&client_id=" + c.ID, contentType: "application/x-www-form-urlencoded"},
		{name: "register", method: "POST", path: "/register", body: `{"redirect_uris":["http://127.0.0.1/cb"]}`, contentType: "application/json"},
		{name: "mcp POST", method: "POST", path: "/mcp", body: mcpBody, contentType: "application/json", bearer: true},
		{name: "mcp GET", method: "GET", path: "/mcp", bearer: true},
	}
	hosts := []struct {
		name, host string
		served     bool
	}{
		{name: "rebound name", host: "evil.example.com"},
		{name: "rebound name on mcpgate's port", host: "evil.example.com:" + g.port()},
		{name: "localhost instead of 127.0.0.1", host: "localhost:" + g.port()},
		{name: "public host", host: strings.TrimPrefix(g.URL, "http://"), served: true},
		{name: "allowed host", host: "mcp.internal:8080", served: true},
	}
	for _, h := range hosts {
		for _, rq := range requests {
			t.Run(h.name+"/"+rq.name, func(t *testing.T) {
				req, _ := http.NewRequest(rq.method, g.URL+rq.path, strings.NewReader(rq.body))
				req.Host = h.host
				if rq.contentType != "" {
					req.Header.Set("Content-Type", rq.contentType)
				}
				if rq.bearer {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				if !h.served {
					req.Header.Set("Origin", "http://"+h.host) // as the rebinding page's browser sends it
				}
				resp, err := noRedirects.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body := readBody(t, resp)
				refused := resp.StatusCode == http.StatusForbidden && strings.Contains(body, "host")
				if refused == h.served {
					t.Fatalf("got %d %q, want served=%v", resp.StatusCode, body, h.served)
				}
			})
		}
	}
}

// noRedirects is an HTTP client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (g *gateway) port() string {
	u, _ := url.Parse(g.URL)
	return u.Port()
}
