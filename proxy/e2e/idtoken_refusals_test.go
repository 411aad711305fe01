package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

// TestUpstreamIDTokenRefusals: a sign-in whose upstream ID token fails a
// check ends with access_denied at the client and no code; a valid one goes
// through, so the refusals are the checks' doing.
func TestUpstreamIDTokenRefusals(t *testing.T) {
	g, hostile := startHostileGateway(t)
	c := g.registerPublic(t)
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	// A kid naming another server: nothing may ever fetch it.
	var kidFetches atomic.Int32
	kidServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		kidFetches.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer kidServer.Close()

	tests := []struct {
		name     string
		idToken  func(req oidctest.AuthorizeRequest) string
		wantCode bool
	}{
		{name: "valid", wantCode: true, idToken: func(req oidctest.AuthorizeRequest) string {
			return hostile.Sign(hostile.Key(), hostile.ValidClaims(req))
		}},
		{name: "bad signature", idToken: func(req oidctest.AuthorizeRequest) string {
			return hostile.Sign(otherKey, hostile.ValidClaims(req))
		}},
		{name: "wrong audience", idToken: func(req oidctest.AuthorizeRequest) string {
			claims := hostile.ValidClaims(req)
			claims["aud"] = "some-other-client"
			return hostile.Sign(hostile.Key(), claims)
		}},
		{name: "wrong nonce", idToken: func(req oidctest.AuthorizeRequest) string {
			claims := hostile.ValidClaims(req)
			claims["nonce"] = "replayed-nonce"
			return hostile.Sign(hostile.Key(), claims)
		}},
		{name: "no nonce", idToken: func(req oidctest.AuthorizeRequest) string {
			claims := hostile.ValidClaims(req)
			delete(claims, "nonce")
			return hostile.Sign(hostile.Key(), claims)
		}},
		{name: "wrong issuer", idToken: func(req oidctest.AuthorizeRequest) string {
			claims := hostile.ValidClaims(req)
			claims["iss"] = "https://evil.example.com"
			return hostile.Sign(hostile.Key(), claims)
		}},
		{name: "expired", idToken: func(req oidctest.AuthorizeRequest) string {
			claims := hostile.ValidClaims(req)
			claims["exp"] = time.Now().Add(-time.Hour).Unix()
			claims["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			return hostile.Sign(hostile.Key(), claims)
		}},
		{name: "no id_token", idToken: func(oidctest.AuthorizeRequest) string { return "" }},
		{name: "alg none", idToken: func(req oidctest.AuthorizeRequest) string {
			return unsignedJWT(`{"alg":"none","typ":"JWT"}`, hostile.ValidClaims(req), nil)
		}},
		{name: "HS256 keyed with the IdP's public key", idToken: func(req oidctest.AuthorizeRequest) string {
			der, _ := x509.MarshalPKIXPublicKey(&hostile.Key().PublicKey)
			return unsignedJWT(`{"alg":"HS256","typ":"JWT"}`, hostile.ValidClaims(req), der)
		}},
		{name: "not yet valid (nbf an hour ahead)", idToken: func(req oidctest.AuthorizeRequest) string {
			claims := hostile.ValidClaims(req)
			claims["nbf"] = time.Now().Add(time.Hour).Unix()
			claims["exp"] = time.Now().Add(2 * time.Hour).Unix()
			return hostile.Sign(hostile.Key(), claims)
		}},
		{name: "kid aimed at a path", idToken: func(req oidctest.AuthorizeRequest) string {
			return hostile.SignWithKid(otherKey, "../../../../etc/passwd", hostile.ValidClaims(req))
		}},
		{name: "kid naming another server's JWKS", idToken: func(req oidctest.AuthorizeRequest) string {
			return hostile.SignWithKid(otherKey, kidServer.URL+"/jwks.json?x=1", hostile.ValidClaims(req))
		}},
		{name: "kid of the IdP, signed by another key", idToken: func(req oidctest.AuthorizeRequest) string {
			return hostile.SignWithKid(otherKey, "k1", hostile.ValidClaims(req))
		}},
		{name: "issued in the future", idToken: func(req oidctest.AuthorizeRequest) string {
			claims := hostile.ValidClaims(req)
			claims["iat"] = time.Now().Add(time.Hour).Unix()
			claims["exp"] = time.Now().Add(2 * time.Hour).Unix()
			return hostile.Sign(hostile.Key(), claims)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hostile.SetIDToken(tt.idToken)
			b := newBrowser(t)
			upstreamURL := g.approve(t, b, g.authorizeURL(c, nil))
			resp := b.get(upstreamURL)
			readBody(t, resp)
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("upstream authorize: got %d, want 302", resp.StatusCode)
			}
			back := g.followCallback(t, b, resp.Header.Get("Location"))
			q := back.Query()
			if tt.wantCode {
				if q.Get("code") == "" {
					t.Fatalf("valid ID token: no code in %s", back)
				}
				return
			}
			if q.Get("code") != "" || q.Get("error") != "access_denied" || q.Get("state") != "client-state" || q.Get("iss") != g.URL {
				t.Fatalf("got %s, want error=access_denied with state and iss and no code", redact(back))
			}
		})
	}
	if n := kidFetches.Load(); n != 0 {
		t.Errorf("the server a kid named was fetched %d time(s)", n)
	}
}

func redact(u *url.URL) string {
	q := u.Query()
	if q.Has("code") {
		q.Set("code", "…")
	}
	c := *u
	c.RawQuery = q.Encode()
	return c.String()
}

// TestConsentAskedOfWhoActuallySignedIn: the browser's session said user A
// approved the client, so mcpgate went upstream without asking; the IdP
// then signed in user B, who never approved it. B is asked before any code
// is issued.
func TestConsentAskedOfWhoActuallySignedIn(t *testing.T) {
	// With the session reused, mcpgate would not go upstream at all.
	g, hostile := startHostileGatewayWith(t, nil, func(c *config.Config) { c.Session.ReuseSignIn = false })
	c := g.registerPublic(t)
	b := newBrowser(t)
	signInAs := func(sub, email string) *http.Response {
		hostile.SetIDToken(func(req oidctest.AuthorizeRequest) string {
			claims := hostile.ValidClaims(req)
			claims["sub"], claims["email"] = sub, email
			return hostile.Sign(hostile.Key(), claims)
		})
		upstreamURL := g.approve(t, b, g.authorizeURL(c, nil))
		resp := b.get(upstreamURL)
		readBody(t, resp)
		return b.get(resp.Header.Get("Location"))
	}

	first := signInAs("user-a", "a@example.com")
	readBody(t, first)
	if first.StatusCode != http.StatusFound {
		t.Fatalf("A's sign-in: got %d, want a redirect with a code", first.StatusCode)
	}
	second := signInAs("user-b", "b@example.com")
	page := readBody(t, second)
	if second.StatusCode != http.StatusOK || second.Header.Get("Location") != "" {
		t.Fatalf("B's sign-in on A's session: got %d to %q, want the consent page", second.StatusCode, second.Header.Get("Location"))
	}
	if !strings.Contains(page, "b@example.com") {
		t.Errorf("the consent page does not name the user who signed in")
	}
	reqID, csrf := consentForm(t, page)
	resp := b.postForm(g.URL+"/consent", url.Values{"request": {reqID}, "csrf": {csrf}, "decision": {"approve"}})
	readBody(t, resp)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if resp.StatusCode != http.StatusFound || code == "" {
		t.Fatalf("after B approved: got %d %s, want a code", resp.StatusCode, redact(loc))
	}
	tokens := g.exchange(t, c, code)
	if claims := verifyWithJWKS(t, g.URL+"/jwks", tokens.AccessToken); claims.Subject != hostile.Issuer()+"#user-b" {
		t.Errorf("sub: got %q, want user-b's", claims.Subject)
	}
}

// startHostileGateway runs mcpgate with a scripted upstream.
func startHostileGateway(t *testing.T) (*gateway, *oidctest.Hostile) {
	return startHostileGatewayWith(t, nil, nil)
}

// startHostileGatewayWith also merges discovery into the IdP's discovery
// document and lets mutate change mcpgate's configuration.
func startHostileGatewayWith(t *testing.T, discovery map[string]any, mutate func(*config.Config)) (*gateway, *oidctest.Hostile) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hostile := oidctest.StartHostile(t, oidctest.HostileOptions{
		ClientID:       hostileClientID,
		RedirectURIs:   []string{"http://" + ln.Addr().String() + "/oauth/callback"},
		DiscoveryExtra: discovery,
	})
	return startGateway(t, gatewayOptions{hostile: hostile, listener: ln, mutate: mutate}), hostile
}

// unsignedJWT builds a JWS with the given header: alg none (hmacKey nil)
// or HS256 keyed with hmacKey, as an attacker forges them.
func unsignedJWT(header string, claims map[string]any, hmacKey []byte) string {
	payload, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString(payload)
	if hmacKey == nil {
		return input + "."
	}
	mac := hmac.New(sha256.New, hmacKey)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
