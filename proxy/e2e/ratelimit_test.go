package e2e_test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// TestAnonymousStateBoundedAcrossReplicas: what an anonymous address can
// make mcpgate store is bounded, by limits that hold across replicas
// sharing a store and count an IPv6 /64 as one address: authorization
// requests (each may leave a pending sign-in) and registrations.
func TestAnonymousStateBoundedAcrossReplicas(t *testing.T) {
	storeURL := "sqlite://" + filepath.Join(t.TempDir(), "shared.db")
	limits := func(c *config.Config) {
		c.Limits.AuthorizeRateLimit = 4
		c.Registration.RateLimit = 3
		c.TrustedProxies = []string{"127.0.0.1/32"}
	}
	a := startGateway(t, gatewayOptions{store: storeURL, mutate: limits})
	b := startGateway(t, gatewayOptions{store: storeURL, mutate: limits})
	c := a.registerPublic(t) // from 127.0.0.1 itself

	from := func(g *gateway, method, path, body, addr string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, g.URL+path, strings.NewReader(body))
		req.Header.Set("X-Forwarded-For", addr)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		return resp
	}
	authorize := func(g *gateway, addr string) int {
		return from(g, http.MethodGet, strings.TrimPrefix(g.authorizeURL(c, nil), g.URL), "", addr).StatusCode
	}

	t.Run("authorize", func(t *testing.T) {
		// Four from one /64, split over both replicas, then a fifth from
		// another address of the same /64.
		for i, g := range []*gateway{a, b, a, b} {
			if status := authorize(g, "2001:db8:1:2::"+string(rune('1'+i))); status != http.StatusOK {
				t.Fatalf("request %d: got %d, want the consent page", i+1, status)
			}
		}
		resp := from(a, http.MethodGet, strings.TrimPrefix(a.authorizeURL(c, nil), a.URL), "", "2001:db8:1:2:ffff::99")
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("fifth from the same /64: got %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if status := authorize(b, "2001:db8:1:3::1"); status != http.StatusOK {
			t.Errorf("another /64: got %d, want the consent page", status)
		}
		if status := authorize(b, "198.51.100.7"); status != http.StatusOK {
			t.Errorf("an IPv4 address: got %d, want the consent page", status)
		}
	})
	t.Run("register", func(t *testing.T) {
		body := `{"redirect_uris":["http://127.0.0.1:7777/callback"],"token_endpoint_auth_method":"none"}`
		for i, g := range []*gateway{a, b, a} {
			if resp := from(g, http.MethodPost, "/register", body, "203.0.113.5"); resp.StatusCode != http.StatusCreated {
				t.Fatalf("registration %d: got %d, want 201", i+1, resp.StatusCode)
			}
		}
		resp := from(b, http.MethodPost, "/register", body, "203.0.113.5")
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("fourth registration, on the other replica: got %d (Retry-After %q), want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
}

// TestTokenRateLimitsAcrossReplicas: with three replicas on one store, an
// address over registration.rate_limit gets 429 with Retry-After, and a
// client over limits.token_client_rate_limit gets 429 with Retry-After
// wherever its requests land, while another client is served; an
// address over limits.token_rate_limit likewise, failed authentications
// counted.
func TestTokenRateLimitsAcrossReplicas(t *testing.T) {
	rs := startReplicas(t, freshPostgres(t), 3, "MCPGATE_LIMITS_TOKEN_CLIENT_RATE_LIMIT=4", "MCPGATE_LIMITS_TOKEN_RATE_LIMIT=20",
		"MCPGATE_REGISTRATION_RATE_LIMIT=3")
	g := rs.gateway()
	rs.takeLog()
	busy, calm := g.registerPublic(t), g.registerPublic(t)
	g.registerPublic(t) // the third of three an hour
	resp, err := http.Post(g.URL+"/register", "application/json", strings.NewReader(`{"redirect_uris":["http://127.0.0.1:7777/callback"],"token_endpoint_auth_method":"none"}`))
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a fourth registration: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if served := rs.takeLog(); len(distinct(served)) < 3 {
		t.Errorf("the registrations reached replicas %v, want all three", served)
	}
	post := func(c client) *http.Response {
		t.Helper()
		form := url.Values{"grant_type": {"refresh_token"}, "client_id": {c.ID}, "refresh_token": {"not-a-real-token"}}
		resp, err := http.PostForm(g.URL+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		return resp
	}
	// The limits count in fixed one-minute windows: start early in one.
	if left := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); left < 15*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
	rs.takeLog()
	for i := range 4 {
		if resp := post(busy); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("request %d of the busy client: %d, want 400 (invalid_grant) within the limit", i+1, resp.StatusCode)
		}
	}
	resp = post(busy)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("the busy client's 5th request: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if served := rs.takeLog(); len(distinct(served)) < 3 {
		t.Errorf("the requests reached replicas %v, want all three", served)
	}
	if resp := post(calm); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("another client meanwhile: %d, want 400, unaffected", resp.StatusCode)
	}
	// The address: 20 a minute in all (6 used above), also for clients
	// that fail to authenticate.
	var last *http.Response
	for range 20 {
		last = post(client{ID: "no-such-client"})
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Errorf("past the address limit: %d, Retry-After %q; want 429", last.StatusCode, last.Header.Get("Retry-After"))
	}
}

func distinct(xs []int) map[int]bool {
	out := map[int]bool{}
	for _, x := range xs {
		out[x] = true
	}
	return out
}
