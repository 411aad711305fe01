package e2e_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

// rotatingIdP scripts an IdP that issues a refresh token with every
// sign-in and rotates it on every refresh: an old one is refused, as is
// every one once the user is disabled.
type rotatingIdP struct {
	mu       sync.Mutex
	hostile  *oidctest.Hostile
	live     string // the one refresh token the IdP honours
	issued   int
	refresh  int      // refresh requests seen
	redeemed []string // the refresh tokens presented
	groups   []string
	disabled bool
}

func newRotatingIdP(h *oidctest.Hostile) *rotatingIdP {
	idp := &rotatingIdP{hostile: h, groups: []string{"eng", "ops"}}
	h.SetTokenFor(idp.token)
	return idp
}

func (r *rotatingIdP) token(w http.ResponseWriter, req oidctest.AuthorizeRequest) {
	form, _, _ := r.hostile.LastTokenRequest()
	r.mu.Lock()
	defer r.mu.Unlock()
	claims := r.hostile.ValidClaims(req)
	claims["groups"] = r.groups
	if form.Get("grant_type") == "refresh_token" {
		r.refresh++
		r.redeemed = append(r.redeemed, form.Get("refresh_token"))
		if r.disabled || form.Get("refresh_token") != r.live {
			oidctest.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		delete(claims, "nonce") // OIDC Core 12.2
	}
	r.issued++
	r.live = "upstream-rt-" + string(rune('0'+r.issued))
	oidctest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": oidctest.HostileAccessToken, "token_type": "Bearer",
		"expires_in": 3600, "refresh_token": r.live, "id_token": r.hostile.Sign(r.hostile.Key(), claims)})
}

// TestUpstreamGrantTracking: mcpgate keeps the IdP's refresh token and
// asks the IdP on every MCP refresh: groups changed at the IdP reach the
// next token; 8 concurrent MCP refreshes of one family never refresh
// upstream two at a time nor with a rotated token (none is refused, one
// upstream token is live after); once the user is disabled the next refresh is invalid_grant
// and the family's access token stops working.
func TestUpstreamGrantTracking(t *testing.T) {
	g, hostile := startHostileGateway(t)
	idp := newRotatingIdP(hostile)
	c := g.registerPublic(t)
	tokens := g.exchange(t, c, hostileCode(t, g, c))
	if tokens.RefreshToken == "" {
		t.Fatalf("sign-in: %+v", tokens)
	}

	idp.mu.Lock()
	idp.groups = []string{"eng"} // removed from ops at the IdP
	idp.mu.Unlock()
	next := g.refresh(t, c, tokens.RefreshToken)
	if next.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", next.Status, next.Error)
	}
	if claims := verifyWithJWKS(t, g.URL+"/jwks", next.AccessToken); !slices.Equal(claims.Groups, []string{"eng"}) {
		t.Errorf("groups after the IdP changed them: %v", claims.Groups)
	}

	var wg sync.WaitGroup
	results := make([]tokenResult, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = g.refresh(t, c, next.RefreshToken)
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res.Status != http.StatusOK {
			t.Errorf("concurrent refresh %d: %d %s %s (a forced re-login)", i, res.Status, res.Error, res.Description)
		}
	}
	idp.mu.Lock()
	refreshes, redeemed, live := idp.refresh, slices.Clone(idp.redeemed), idp.live
	idp.mu.Unlock()
	// Checks on every refresh (check_interval 0), but never two at once
	// and never with a rotated token: each presented the token issued
	// just before it, so the IdP refused none and one token is live.
	for i, rt := range redeemed {
		if want := "upstream-rt-" + string(rune('1'+i)); rt != want {
			t.Errorf("upstream refresh %d presented %s, want %s (the live one)", i+1, rt, want)
		}
	}
	if refreshes < 2 || refreshes > 9 || live != "upstream-rt-"+string(rune('1'+refreshes)) {
		t.Errorf("upstream refreshes %d (live %s)", refreshes, live)
	}
	t.Logf("8 concurrent MCP refreshes made %d upstream refresh(es), each with the live token; live after: %s", refreshes-1, live)

	mcp := func(token string) int { return mcpStatus(t, g, token) }
	latest := results[0]
	if status := mcp(latest.AccessToken); status == http.StatusUnauthorized {
		t.Fatalf("the access token was refused before the user was disabled")
	}
	idp.mu.Lock()
	idp.disabled = true
	idp.mu.Unlock()
	refused := g.refresh(t, c, latest.RefreshToken)
	if refused.Status != http.StatusBadRequest || refused.Error != "invalid_grant" {
		t.Fatalf("refresh after the user was disabled: %d %s, want invalid_grant", refused.Status, refused.Error)
	}
	deadline := time.Now().Add(5 * time.Second)
	for mcp(latest.AccessToken) != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("the family's access token still works after the IdP refused the user")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The family is gone for good: the IdP is not asked again.
	idp.mu.Lock()
	idp.disabled = false
	idp.mu.Unlock()
	if again := g.refresh(t, c, latest.RefreshToken); again.Status != http.StatusBadRequest {
		t.Errorf("the revoked family refreshed again: %d", again.Status)
	}
}

// TestUpstreamCheckInterval: with upstream.check_interval the IdP is asked
// at most that often per grant.
func TestUpstreamCheckInterval(t *testing.T) {
	g, hostile := startHostileGatewayWith(t, nil, func(c *config.Config) { c.Upstream.CheckInterval = time.Hour })
	idp := newRotatingIdP(hostile)
	c := g.registerPublic(t)
	tokens := g.exchange(t, c, hostileCode(t, g, c))
	for range 3 {
		next := g.refresh(t, c, tokens.RefreshToken)
		if next.Status != http.StatusOK {
			t.Fatalf("refresh: %d %s", next.Status, next.Error)
		}
		tokens = next
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if idp.refresh != 0 {
		t.Errorf("the IdP was asked %d times within the interval, want 0", idp.refresh)
	}
}

// TestMaxSessionAge: past upstream.max_session_age since the sign-in at
// the IdP, a refresh is refused and the user must sign in again.
func TestMaxSessionAge(t *testing.T) {
	g, _ := startHostileGatewayWith(t, nil, func(c *config.Config) { c.Upstream.MaxSessionAge = time.Second })
	c := g.registerPublic(t)
	tokens := g.exchange(t, c, hostileCode(t, g, c))
	next := g.refresh(t, c, tokens.RefreshToken)
	if next.Status != http.StatusOK {
		t.Fatalf("refresh within the age: %d %s", next.Status, next.Error)
	}
	time.Sleep(1500 * time.Millisecond)
	if late := g.refresh(t, c, next.RefreshToken); late.Status != http.StatusBadRequest || late.Error != "invalid_grant" {
		t.Errorf("refresh past the age: %d %s, want invalid_grant", late.Status, late.Error)
	}
}
