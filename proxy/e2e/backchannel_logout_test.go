package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

const logoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// sessionIdP scripts an IdP that names a new session (sid) at every
// sign-in and gives no refresh token: the sign-ins are kept only so that
// logouts can find them.
type sessionIdP struct {
	mu       sync.Mutex
	hostile  *oidctest.Hostile
	sessions int
}

func (s *sessionIdP) token(w http.ResponseWriter, req oidctest.AuthorizeRequest) {
	s.mu.Lock()
	s.sessions++
	sid := "session-" + string(rune('0'+s.sessions))
	s.mu.Unlock()
	claims := s.hostile.ValidClaims(req)
	claims["sid"] = sid
	oidctest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": oidctest.HostileAccessToken, "token_type": "Bearer",
		"expires_in": 3600, "id_token": s.hostile.Sign(s.hostile.Key(), claims)})
}

// logoutClaims are a valid logout token's claims for sid ("" for every
// session of the user).
func logoutClaims(h *oidctest.Hostile, sid string) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": h.Issuer(), "aud": hostileClientID, "sub": oidctest.HostileSubject,
		"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti":    "logout-" + time.Now().Format(time.RFC3339Nano) + sid,
		"events": map[string]any{logoutEvent: map[string]any{}},
	}
	if sid != "" {
		c["sid"] = sid
	}
	return c
}

func postLogout(t *testing.T, g *gateway, token string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(g.URL+"/oauth/backchannel-logout", url.Values{"logout_token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("logout answer Cache-Control %q, want no-store", cc)
	}
	return resp.StatusCode, body.Error
}

// TestBackChannelLogout: a logout token from the IdP for one session ends
// the MCP grants of that sign-in only (refresh invalid_grant, access token
// 401 at once); one for the user ends all of them; forged, replayed and
// malformed logout tokens are refused with 400 and end nothing.
func TestBackChannelLogout(t *testing.T) {
	g, hostile := startHostileGateway(t)
	idp := &sessionIdP{hostile: hostile}
	hostile.SetTokenFor(idp.token)
	c := g.registerPublic(t)
	first := g.exchange(t, c, hostileCode(t, g, c))  // session-1
	second := g.exchange(t, c, hostileCode(t, g, c)) // session-2
	third := g.exchange(t, c, hostileCode(t, g, c))  // session-3
	for _, tok := range []tokenResult{first, second, third} {
		if tok.RefreshToken == "" || mcpStatus(t, g, tok.AccessToken) == http.StatusUnauthorized {
			t.Fatalf("sign-in: %+v", tok)
		}
	}

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	// changed is a logout token for sid signed by the IdP, with change made.
	changed := func(sid string, change func(map[string]any)) func() string {
		return func() string {
			c := logoutClaims(hostile, sid)
			change(c)
			return hostile.Sign(hostile.Key(), c)
		}
	}
	refusals := []struct {
		name  string
		token func() string
	}{
		{"signed by another key", func() string { return hostile.Sign(other, logoutClaims(hostile, "")) }},
		{"another audience", changed("", func(c map[string]any) { c["aud"] = "someone-else" })},
		{"another issuer", changed("", func(c map[string]any) { c["iss"] = "https://evil.example" })},
		{"with a nonce (an ID token)", changed("", func(c map[string]any) { c["nonce"] = "n" })},
		{"without the logout event", changed("", func(c map[string]any) { delete(c, "events") })},
		{"expired", changed("", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })},
		{"without jti", changed("", func(c map[string]any) { delete(c, "jti") })},
		{"a session without the user", changed("session-1", func(c map[string]any) { delete(c, "sub") })},
		{"alg none", func() string { return unsignedJWT(`{"alg":"none","typ":"logout+jwt"}`, logoutClaims(hostile, ""), nil) }},
		{"HS256 keyed with the IdP's public key", func() string {
			der, _ := x509.MarshalPKIXPublicKey(&hostile.Key().PublicKey)
			return unsignedJWT(`{"alg":"HS256","typ":"logout+jwt","kid":"k1"}`, logoutClaims(hostile, ""), der)
		}},
		{"not yet valid (nbf an hour ahead)", changed("", func(c map[string]any) { c["nbf"] = time.Now().Add(time.Hour).Unix() })},
		{"issued in the future", changed("", func(c map[string]any) {
			c["iat"] = time.Now().Add(time.Hour).Unix()
			c["exp"] = time.Now().Add(2 * time.Hour).Unix()
		})},
		{"kid aimed at a path, another key", func() string {
			return hostile.SignWithKid(other, "../../jwks?kid=k1", logoutClaims(hostile, ""))
		}},
		{"not a JWT", func() string { return "not-a-jwt" }},
		{"empty", func() string { return "" }},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			if status, code := postLogout(t, g, r.token()); status != http.StatusBadRequest || code != "invalid_request" {
				t.Errorf("logout: %d %s, want 400 invalid_request", status, code)
			}
		})
	}
	if res := g.refresh(t, c, first.RefreshToken); res.Status != http.StatusOK {
		t.Fatalf("a refused logout ended a grant: refresh %d %s", res.Status, res.Error)
	} else {
		first = res
	}

	one := hostile.Sign(hostile.Key(), logoutClaims(hostile, "session-1"))
	if status, code := postLogout(t, g, one); status != http.StatusOK {
		t.Fatalf("logout of session-1: %d %s", status, code)
	}
	if status, _ := postLogout(t, g, one); status != http.StatusBadRequest {
		t.Errorf("a replayed logout token: %d, want 400", status)
	}
	if status := mcpStatus(t, g, first.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("session-1's access token after its logout: %d, want 401", status)
	}
	if res := g.refresh(t, c, first.RefreshToken); res.Status != http.StatusBadRequest || res.Error != "invalid_grant" {
		t.Errorf("session-1's refresh after its logout: %d %s, want invalid_grant", res.Status, res.Error)
	}
	if status := mcpStatus(t, g, second.AccessToken); status == http.StatusUnauthorized {
		t.Errorf("session-2's access token after session-1's logout: %d", status)
	}
	if res := g.refresh(t, c, second.RefreshToken); res.Status != http.StatusOK {
		t.Errorf("session-2's refresh after session-1's logout: %d %s", res.Status, res.Error)
	} else {
		second = res
	}

	all := hostile.Sign(hostile.Key(), logoutClaims(hostile, ""))
	if status, code := postLogout(t, g, all); status != http.StatusOK {
		t.Fatalf("logout of the user: %d %s", status, code)
	}
	for name, tok := range map[string]tokenResult{"session-2": second, "session-3": third} {
		if status := mcpStatus(t, g, tok.AccessToken); status != http.StatusUnauthorized {
			t.Errorf("%s's access token after the user's logout: %d, want 401", name, status)
		}
		if res := g.refresh(t, c, tok.RefreshToken); res.Error != "invalid_grant" {
			t.Errorf("%s's refresh after the user's logout: %d %s, want invalid_grant", name, res.Status, res.Error)
		}
	}
	// The user signs in again: a new sign-in is not ended by the old logout.
	again := g.exchange(t, c, hostileCode(t, g, c))
	if status := mcpStatus(t, g, again.AccessToken); status == http.StatusUnauthorized {
		t.Errorf("a new sign-in after the logout: %d", status)
	}
}
