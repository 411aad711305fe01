package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/store"
)

func postRegistration(t *testing.T, g *gateway, bearer string, redirectURI string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"redirect_uris": []string{redirectURI}, "token_endpoint_auth_method": "none"})
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/register", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Error    string `json:"error"`
		ClientID string `json:"client_id"`
	}
	json.Unmarshal([]byte(readBody(t, resp)), &out)
	if out.Error != "" {
		return resp.StatusCode, out.Error
	}
	return resp.StatusCode, out.ClientID
}

// TestRegistrationPolicy: the initial access token, redirect URI patterns
// and the per-address rate limit.
func TestRegistrationPolicy(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Registration.InitialAccessToken = "let-me-register"
		c.Registration.RedirectURIPatterns = []string{"http://127.0.0.1:*/callback", "https://*.example.com/*"}
		c.Registration.RateLimit = 6
	}})
	tests := []struct {
		name        string
		bearer      string
		redirectURI string
		wantStatus  int
		wantError   string
	}{
		{name: "allowed", bearer: "let-me-register", redirectURI: "http://127.0.0.1:4321/callback", wantStatus: 201},
		{name: "allowed HTTPS pattern", bearer: "let-me-register", redirectURI: "https://app.example.com/cb", wantStatus: 201},
		{name: "no initial access token", redirectURI: "http://127.0.0.1:4321/callback", wantStatus: 401, wantError: "invalid_token"},
		{name: "wrong initial access token", bearer: "guess", redirectURI: "http://127.0.0.1:4321/callback", wantStatus: 401, wantError: "invalid_token"},
		{name: "redirect outside the patterns", bearer: "let-me-register", redirectURI: "http://127.0.0.1:4321/other", wantStatus: 400, wantError: "invalid_redirect_uri"},
		{name: "host wildcard does not cross into the query", bearer: "let-me-register", redirectURI: "https://evil.test?.example.com/cb", wantStatus: 400, wantError: "invalid_redirect_uri"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := postRegistration(t, g, tt.bearer, tt.redirectURI)
			if status != tt.wantStatus || (tt.wantError != "" && got != tt.wantError) {
				t.Fatalf("got %d %q, want %d %q", status, got, tt.wantStatus, tt.wantError)
			}
		})
	}
	t.Run("rate limit per address", func(t *testing.T) {
		// Six attempts so far from this address, every one counted; the limit is six.
		status, got := postRegistration(t, g, "let-me-register", "http://127.0.0.1:4321/callback")
		if status != http.StatusTooManyRequests {
			t.Fatalf("got %d %q, want 429", status, got)
		}
	})
}

// TestUnusedRegistrationsExpire: a client that never obtains a token is
// forgotten after registration.unused_client_ttl; one that does is kept.
func TestUnusedRegistrationsExpire(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Registration.UnusedClientTTL = time.Second }})
	unused := g.registerPublic(t)
	used := g.registerPublic(t)
	if res := g.exchange(t, used, g.code(t, used)); res.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", res.Status, res.Error)
	}
	time.Sleep(1100 * time.Millisecond)
	ctx := context.Background()
	if _, err := g.App.Store.GetClient(ctx, unused.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unused client after its TTL: got %v, want ErrNotFound", err)
	}
	if _, err := g.App.Store.GetClient(ctx, used.ID); err != nil {
		t.Errorf("used client after the TTL: %v", err)
	}
	res := g.tokenRequest(t, unused, map[string][]string{"grant_type": {"authorization_code"}, "code": {"x"}, "code_verifier": {unused.Verifier}})
	if res.Status != http.StatusUnauthorized || res.Error != "invalid_client" {
		t.Errorf("token request of the forgotten client: got %d %q, want 401 invalid_client so that it registers again", res.Status, res.Error)
	}
}

// TestRateLimitBehindTrustedProxy: behind a trusted balancer every client
// has its own limit, read from X-Forwarded-For; without trust the header
// is ignored.
func TestRateLimitBehindTrustedProxy(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Registration.RateLimit = 1
		c.TrustedProxies = []string{"127.0.0.0/8"}
	}})
	register := func(forwardedFor string) int {
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/register", strings.NewReader(`{"redirect_uris":["http://127.0.0.1:1/cb"],"token_endpoint_auth_method":"none"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		return resp.StatusCode
	}
	for _, step := range []struct {
		client string
		want   int
	}{{"203.0.113.1", 201}, {"203.0.113.1", 429}, {"203.0.113.2", 201}} {
		if got := register(step.client); got != step.want {
			t.Fatalf("registration from %s: got %d, want %d", step.client, got, step.want)
		}
	}
}
