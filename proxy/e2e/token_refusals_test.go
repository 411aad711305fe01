package e2e_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// TestTokenRefusals: each bad token request gets the RFC 6749 §5.2 error.
func TestTokenRefusals(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	c := g.registerPublic(t)
	other := g.registerPublic(t)
	confidential := g.register(t, map[string]any{
		"redirect_uris":              []string{"https://app.example.com/cb"},
		"token_endpoint_auth_method": "client_secret_basic",
	})

	tests := []struct {
		name       string
		client     client
		form       func(code string) url.Values
		wantStatus int
		wantError  string
	}{
		{
			name: "wrong verifier", client: c,
			form: func(code string) url.Values {
				return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURI}, "code_verifier": {c.Verifier + "x"}}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "missing verifier", client: c,
			form: func(code string) url.Values {
				return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURI}}
			},
			wantStatus: 400, wantError: "invalid_request",
		},
		{
			name: "code redeemed by another client", client: other,
			form: func(code string) url.Values {
				return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURI}, "code_verifier": {c.Verifier}}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "other redirect URI", client: c,
			form: func(code string) url.Values {
				return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1:7777/other"}, "code_verifier": {c.Verifier}}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "wrong resource", client: c,
			form: func(code string) url.Values {
				return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURI}, "code_verifier": {c.Verifier}, "resource": {"https://other.example.com/mcp"}}
			},
			wantStatus: 400, wantError: "invalid_target",
		},
		{
			name: "unknown client", client: client{ID: "no-such-client"},
			form: func(code string) url.Values {
				return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {c.Verifier}}
			},
			wantStatus: 401, wantError: "invalid_client",
		},
		{
			name: "wrong client secret", client: client{ID: confidential.ID, Secret: "wrong"},
			form: func(code string) url.Values {
				return url.Values{"grant_type": {"authorization_code"}, "code": {code}}
			},
			wantStatus: 401, wantError: "invalid_client",
		},
		{
			name: "confidential client without secret", client: client{ID: confidential.ID},
			form: func(code string) url.Values {
				return url.Values{"grant_type": {"authorization_code"}, "code": {code}}
			},
			wantStatus: 401, wantError: "invalid_client",
		},
		{
			name: "unknown grant", client: c,
			form:       func(string) url.Values { return url.Values{"grant_type": {"password"}} },
			wantStatus: 400, wantError: "unsupported_grant_type",
		},
		{
			name: "unknown code", client: c,
			form: func(string) url.Values {
				return url.Values{"grant_type": {"authorization_code"}, "code": {"made-up"}, "redirect_uri": {c.RedirectURI}, "code_verifier": {c.Verifier}}
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := g.code(t, c)
			got := g.tokenRequest(t, tt.client, tt.form(code))
			if got.Status != tt.wantStatus || got.Error != tt.wantError {
				t.Fatalf("got %d %q (%s), want %d %q", got.Status, got.Error, got.Description, tt.wantStatus, tt.wantError)
			}
			if got.AccessToken != "" {
				t.Fatal("an access token came with the error")
			}
			// A refused attempt does not burn the code for its real owner.
			if res := g.exchange(t, c, code); res.Status != http.StatusOK {
				t.Errorf("the owner's exchange after a refused attempt: got %d %s", res.Status, res.Error)
			}
		})
	}
}

// TestCodeReplayRevokesTokens: a second use of a code fails and revokes the
// refresh family the first use issued.
func TestCodeReplayRevokesTokens(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	c := g.registerPublic(t)
	code := g.code(t, c)
	first := g.exchange(t, c, code)
	if first.Status != http.StatusOK || first.RefreshToken == "" {
		t.Fatalf("first exchange: got %d %s", first.Status, first.Error)
	}
	second := g.exchange(t, c, code)
	if second.Status != http.StatusBadRequest || second.Error != "invalid_grant" {
		t.Fatalf("second exchange: got %d %q, want 400 invalid_grant", second.Status, second.Error)
	}
	if res := g.refresh(t, c, first.RefreshToken); res.Error != "invalid_grant" {
		t.Fatalf("refresh with the first exchange's token: got %d %q, want invalid_grant (family revoked)", res.Status, res.Error)
	}
}

// TestExpiredCode: a code is refused once its lifetime has passed.
func TestExpiredCode(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Tokens.CodeTTL = time.Second }})
	c := g.registerPublic(t)
	code := g.code(t, c)
	time.Sleep(1100 * time.Millisecond)
	if res := g.exchange(t, c, code); res.Status != http.StatusBadRequest || res.Error != "invalid_grant" {
		t.Fatalf("got %d %q, want 400 invalid_grant", res.Status, res.Error)
	}
}

// TestRefreshRotation: every refresh rotates; a rotated token is served
// again within the grace window (parallel retries), and after it its reuse
// revokes the whole family.
func TestRefreshRotation(t *testing.T) {
	const grace = 700 * time.Millisecond
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Tokens.RefreshGrace = grace }})
	c := g.registerPublic(t)
	start := g.exchange(t, c, g.code(t, c))
	if start.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", start.Status, start.Error)
	}
	r1 := g.refresh(t, c, start.RefreshToken)
	if r1.Status != http.StatusOK || r1.RefreshToken == start.RefreshToken || r1.RefreshToken == "" {
		t.Fatalf("first refresh: got %d %q, want a new refresh token", r1.Status, r1.Error)
	}
	retry := g.refresh(t, c, start.RefreshToken)
	if retry.Status != http.StatusOK {
		t.Fatalf("retry within the grace window: got %d %q, want 200", retry.Status, retry.Error)
	}
	if res := g.refresh(t, other(g, t), r1.RefreshToken); res.Error != "invalid_grant" {
		t.Fatalf("refresh by another client: got %q, want invalid_grant", res.Error)
	}
	time.Sleep(grace + 200*time.Millisecond)
	reuse := g.refresh(t, c, start.RefreshToken)
	if reuse.Status != http.StatusBadRequest || reuse.Error != "invalid_grant" {
		t.Fatalf("reuse after the grace window: got %d %q, want 400 invalid_grant", reuse.Status, reuse.Error)
	}
	for name, tok := range map[string]string{"first successor": r1.RefreshToken, "retry's successor": retry.RefreshToken} {
		if res := g.refresh(t, c, tok); res.Error != "invalid_grant" {
			t.Errorf("%s after the family was revoked: got %d %q, want invalid_grant", name, res.Status, res.Error)
		}
	}
}

func other(g *gateway, t *testing.T) client { return g.registerPublic(t) }

// TestConcurrentCodeRedemption: of many parallel redemptions of one code
// exactly one gets tokens, and because the others are replays, what it got
// is revoked as well.
func TestConcurrentCodeRedemption(t *testing.T) {
	for _, store := range []string{"memory:", "sqlite://" + t.TempDir() + "/race.db"} {
		t.Run(store[:6], func(t *testing.T) {
			g := startGateway(t, gatewayOptions{store: store})
			c := g.registerPublic(t)
			code := g.code(t, c)
			const n = 8
			results := make(chan tokenResult, n)
			for range n {
				go func() { results <- g.exchange(t, c, code) }()
			}
			var winners []tokenResult
			for range n {
				if r := <-results; r.Status == http.StatusOK {
					winners = append(winners, r)
				} else if r.Error != "invalid_grant" {
					t.Errorf("loser: got %d %q, want invalid_grant", r.Status, r.Error)
				}
			}
			if len(winners) != 1 {
				t.Fatalf("got %d successful redemptions, want exactly 1", len(winners))
			}
			if res := g.refresh(t, c, winners[0].RefreshToken); res.Error != "invalid_grant" {
				t.Errorf("winner's refresh token after the replays: got %d %q, want invalid_grant", res.Status, res.Error)
			}
		})
	}
}
