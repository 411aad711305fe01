package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

// TestUnverifiedEmailNotForwarded: an email the IdP does not vouch for
// (email_verified false or absent) appears nowhere by default: not in the
// access token, the identity headers or the signed assertion. With
// upstream.allow_unverified_email it travels, marked unverified.
func TestUnverifiedEmailNotForwarded(t *testing.T) {
	tests := []struct {
		name     string
		verified any // email_verified in the ID token; nil leaves it out
		allow    bool
		// wantEmail is what every channel carries; wantVerified the flag
		// beside it ("" when no email is sent).
		wantEmail, wantVerified string
	}{
		{name: "verified", verified: true, wantEmail: oidctest.HostileEmail, wantVerified: "true"},
		{name: "verified as a string", verified: "true", wantEmail: oidctest.HostileEmail, wantVerified: "true"},
		{name: "unverified", verified: false},
		{name: "no email_verified claim", verified: nil},
		{name: "unverified, allowed", verified: false, allow: true, wantEmail: oidctest.HostileEmail, wantVerified: "false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := startRecordingBackend(t)
			g, hostile := startHostileGatewayWith(t, map[string]any{"userinfo_endpoint": nil}, withBackend(backend.URL+"/mcp", func(c *config.Config) {
				c.Backend.Assertion.Header = "X-Mcpgate-Assertion"
				c.Upstream.AllowUnverifiedEmail = tt.allow
			}))
			hostile.SetIDToken(func(req oidctest.AuthorizeRequest) string {
				claims := hostile.ValidClaims(req)
				if tt.verified == nil {
					delete(claims, "email_verified")
				} else {
					claims["email_verified"] = tt.verified
				}
				return hostile.Sign(hostile.Key(), claims)
			})
			c := g.registerPublic(t)
			b := newBrowser(t)
			upstreamURL := g.approve(t, b, g.authorizeURL(c, nil))
			resp := b.get(upstreamURL)
			readBody(t, resp)
			back := g.followCallback(t, b, resp.Header.Get("Location"))
			tokens := g.exchange(t, c, back.Query().Get("code"))
			if tokens.Status != http.StatusOK {
				t.Fatalf("exchange: %d %s", tokens.Status, tokens.Error)
			}

			if got := verifyWithJWKS(t, g.URL+"/jwks", tokens.AccessToken).Email; got != tt.wantEmail {
				t.Errorf("access token email: got %q, want %q", got, tt.wantEmail)
			}
			req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
			req.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
			req.Header.Set("Content-Type", "application/json")
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, r)
			h := backend.last()
			if got := h.Get("X-Forwarded-Email"); got != tt.wantEmail {
				t.Errorf("X-Forwarded-Email: got %q, want %q", got, tt.wantEmail)
			}
			if got := h.Get("X-Forwarded-Email-Verified"); got != tt.wantVerified {
				t.Errorf("X-Forwarded-Email-Verified: got %q, want %q", got, tt.wantVerified)
			}
			var assertion map[string]any
			json.Unmarshal(verifyJWS(t, g.URL+"/jwks", h.Get("X-Mcpgate-Assertion")), &assertion)
			email, _ := assertion["email"].(string)
			if email != tt.wantEmail {
				t.Errorf("assertion email: got %q, want %q", email, tt.wantEmail)
			}
			verified, present := assertion["email_verified"]
			if want := tt.wantVerified != ""; present != want || (present && verified != (tt.wantVerified == "true")) {
				t.Errorf("assertion email_verified: got %v (present %v), want %q", verified, present, tt.wantVerified)
			}
		})
	}
}
