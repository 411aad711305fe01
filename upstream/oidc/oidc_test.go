package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

const (
	testClientID = "mcpgate-client"
	testSecret   = "s3cret"
	testRedirect = "https://gate.example/callback"
)

var (
	testNow   = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	testLogin = upstream.LoginParams{
		State:    "state-1",
		Nonce:    "nonce-1",
		Verifier: "verifier-0123456789-0123456789-0123456789-0123",
	}
)

func newHostile(t *testing.T, discovery map[string]any) *oidctest.Hostile {
	t.Helper()
	return oidctest.StartHostile(t, oidctest.HostileOptions{
		ClientID: testClientID, RedirectURIs: []string{testRedirect}, DiscoveryExtra: discovery,
	})
}

func newTestProvider(t *testing.T, idp *oidctest.Hostile, cfg Config) *Provider {
	t.Helper()
	cfg.Issuer = idp.Issuer()
	cfg.ClientID = testClientID
	cfg.ClientSecret = testSecret
	cfg.RedirectURL = testRedirect
	cfg.Now = func() time.Time { return testNow }
	p, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// validClaims are the IdP's valid claims for req, on the test clock and
// about the user the cases expect.
func validClaims(idp *oidctest.Hostile, req oidctest.AuthorizeRequest) map[string]any {
	c := idp.ValidClaims(req)
	c["iat"] = testNow.Unix()
	c["exp"] = testNow.Add(time.Hour).Unix()
	c["sub"] = "user-1"
	c["email"] = "alice@example.com"
	c["name"] = "Alice"
	c["groups"] = []string{"eng", "ops"}
	return c
}

// authorize plays the browser: it sends testLogin's authorization request to
// the IdP and returns the redirect back, checked for the state and a code.
func authorize(t *testing.T, p *Provider) url.Values {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(p.AuthCodeURL(testLogin))
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: got status %d (location error %v), want a 302", resp.StatusCode, err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("authorize: redirected to %q, want %q", got, testRedirect)
	}
	q := loc.Query()
	if q.Get("state") != testLogin.State || q.Get("code") == "" {
		t.Fatalf("authorize: got state %q code %q, want state %q and a code", q.Get("state"), q.Get("code"), testLogin.State)
	}
	return q
}

type errKind int

const (
	noErr errKind = iota
	verificationErr
	otherErr
)

func TestExchange(t *testing.T) {
	const skip = "-" // claim value meaning "delete this claim"
	tests := []struct {
		name        string
		discovery   map[string]any
		groupsClaim string
		claims      map[string]any // overrides of validClaims; skip deletes
		foreignKey  bool           // sign with a key the JWKS does not hold
		noIDToken   bool
		token       func(http.ResponseWriter) // replaces the whole answer
		userinfo    map[string]any
		iss         string // callback iss; "ISSUER" is the IdP's issuer
		wantErr     errKind
		wantMsg     string
		want        upstream.Identity
	}{
		{
			name: "valid",
			want: upstream.Identity{Subject: "#user-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"eng", "ops"}},
		},
		{
			name: "valid with matching iss response parameter",
			iss:  "ISSUER",
			want: upstream.Identity{Subject: "#user-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"eng", "ops"}},
		},
		{name: "bad signature", foreignKey: true, wantErr: verificationErr, wantMsg: "signature"},
		{name: "wrong audience", claims: map[string]any{"aud": "someone-else"}, wantErr: verificationErr, wantMsg: "audience"},
		{name: "wrong issuer", claims: map[string]any{"iss": "https://evil.example"}, wantErr: verificationErr, wantMsg: "issued by a different provider"},
		{name: "expired", claims: map[string]any{"exp": testNow.Add(-time.Minute).Unix()}, wantErr: verificationErr, wantMsg: "expired"},
		{name: "wrong nonce", claims: map[string]any{"nonce": "nonce-2"}, wantErr: verificationErr, wantMsg: "nonce"},
		{name: "missing nonce", claims: map[string]any{"nonce": skip}, wantErr: verificationErr, wantMsg: "nonce"},
		{name: "missing sub", claims: map[string]any{"sub": skip}, wantErr: verificationErr, wantMsg: "sub"},
		{name: "empty sub", claims: map[string]any{"sub": ""}, wantErr: verificationErr, wantMsg: "sub"},
		{name: "missing id_token", noIDToken: true, wantErr: verificationErr, wantMsg: "id_token"},
		{name: "at_hash mismatch", claims: map[string]any{"at_hash": oidctest.AtHash("another-token")}, wantErr: verificationErr, wantMsg: "at_hash"},
		{
			name:   "at_hash match",
			claims: map[string]any{"at_hash": oidctest.AtHash(oidctest.HostileAccessToken)},
			want:   upstream.Identity{Subject: "#user-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"eng", "ops"}},
		},
		{name: "iss response parameter mismatch", iss: "https://evil.example", wantErr: verificationErr, wantMsg: "iss response parameter"},
		{
			name:      "iss response parameter missing when advertised",
			discovery: map[string]any{"authorization_response_iss_parameter_supported": true},
			wantErr:   verificationErr, wantMsg: "iss response parameter",
		},
		{
			name:      "iss response parameter present when advertised",
			discovery: map[string]any{"authorization_response_iss_parameter_supported": true},
			iss:       "ISSUER",
			want:      upstream.Identity{Subject: "#user-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"eng", "ops"}},
		},
		{
			name: "token endpoint invalid_grant",
			token: func(w http.ResponseWriter) {
				oidctest.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			},
			wantErr: otherErr, wantMsg: "invalid_grant",
		},
		{
			name:   "groups as single string",
			claims: map[string]any{"groups": "eng"},
			want:   upstream.Identity{Subject: "#user-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"eng"}},
		},
		{
			name:   "groups with non-string entries",
			claims: map[string]any{"groups": []any{"eng", 7, nil, map[string]any{"x": 1}, "ops"}},
			want:   upstream.Identity{Subject: "#user-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"eng", "ops"}},
		},
		{
			name:        "groups from custom claim",
			groupsClaim: "roles",
			claims:      map[string]any{"roles": []string{"admin"}},
			want:        upstream.Identity{Subject: "#user-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"admin"}},
		},
		{
			name:   "email_verified as string",
			claims: map[string]any{"email_verified": "true"},
			want:   upstream.Identity{Subject: "#user-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"eng", "ops"}},
		},
		{
			name:   "email_verified as string false",
			claims: map[string]any{"email_verified": "false"},
			want:   upstream.Identity{Subject: "#user-1", Email: "alice@example.com", Name: "Alice", Groups: []string{"eng", "ops"}},
		},
		{
			name:     "email from userinfo",
			claims:   map[string]any{"email": skip, "email_verified": skip, "name": skip, "groups": skip},
			userinfo: map[string]any{"sub": "user-1", "email": "bob@example.com", "email_verified": "true", "name": "Bob", "groups": []string{"x"}},
			want:     upstream.Identity{Subject: "#user-1", Email: "bob@example.com", EmailVerified: true, Name: "Bob", Groups: []string{"x"}},
		},
		{
			// email_verified must describe the email it came with.
			name:     "userinfo fills email only, with its own email_verified",
			claims:   map[string]any{"email": skip},
			userinfo: map[string]any{"sub": "user-1", "email": "bob@example.com", "name": "Bob", "groups": []string{"x"}},
			want:     upstream.Identity{Subject: "#user-1", Email: "bob@example.com", Name: "Alice", Groups: []string{"eng", "ops"}},
		},
		{
			name:      "no email and no userinfo endpoint",
			discovery: map[string]any{"userinfo_endpoint": nil},
			claims:    map[string]any{"email": skip, "email_verified": skip},
			want:      upstream.Identity{Subject: "#user-1", Name: "Alice", Groups: []string{"eng", "ops"}},
		},
		{
			name:    "userinfo endpoint fails",
			claims:  map[string]any{"email": skip},
			wantErr: otherErr, wantMsg: "userinfo",
		},
		{
			name:     "userinfo about another user",
			claims:   map[string]any{"email": skip},
			userinfo: map[string]any{"sub": "user-2", "email": "mallory@example.com"},
			wantErr:  verificationErr, wantMsg: "userinfo sub",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idp := newHostile(t, tc.discovery)
			key := idp.Key()
			if tc.foreignKey {
				var err error
				if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
					t.Fatal(err)
				}
			}
			idp.SetIDToken(func(req oidctest.AuthorizeRequest) string {
				if tc.noIDToken {
					return ""
				}
				claims := validClaims(idp, req)
				for k, v := range tc.claims {
					if v == skip {
						delete(claims, k)
					} else {
						claims[k] = v
					}
				}
				return idp.Sign(key, claims)
			})
			if tc.token != nil {
				idp.SetToken(tc.token)
			}
			idp.SetUserinfo(tc.userinfo)
			p := newTestProvider(t, idp, Config{GroupsClaim: tc.groupsClaim})

			q := authorize(t, p)
			if advertised := tc.discovery["authorization_response_iss_parameter_supported"] == true; q.Has("iss") != advertised ||
				advertised && q.Get("iss") != idp.Issuer() {
				t.Fatalf("authorize: got iss %q, want it only when advertised", q["iss"])
			}
			// The callback's iss is the case's, as an attacker would send it.
			cb := upstream.Callback{Code: q.Get("code"), Iss: strings.ReplaceAll(tc.iss, "ISSUER", idp.Issuer())}
			got, err := p.Exchange(context.Background(), cb, testLogin)

			switch tc.wantErr {
			case noErr:
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				tc.want.Subject = idp.Issuer() + tc.want.Subject
				if got.Tokens.AccessToken != oidctest.HostileAccessToken {
					t.Errorf("tokens: got %+v, want the IdP's access token kept", got.Tokens)
				}
				got.Tokens = upstream.Tokens{}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got identity %+v, want %+v", got, tc.want)
				}
				return
			case verificationErr:
				if !errors.Is(err, upstream.ErrVerification) {
					t.Fatalf("got error %v, want ErrVerification", err)
				}
			case otherErr:
				if err == nil || errors.Is(err, upstream.ErrVerification) {
					t.Fatalf("got error %v, want a non-verification error", err)
				}
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got error %q, want it to mention %q", err, tc.wantMsg)
			}
			if !reflect.DeepEqual(got, upstream.Identity{}) {
				t.Errorf("got identity %+v on error, want zero", got)
			}
		})
	}
}

func TestExchangeTokenRequest(t *testing.T) {
	idp := newHostile(t, nil)
	idp.SetIDToken(func(req oidctest.AuthorizeRequest) string { return idp.Sign(idp.Key(), validClaims(idp, req)) })
	p := newTestProvider(t, idp, Config{})
	code := authorize(t, p).Get("code")
	if _, err := p.Exchange(context.Background(), upstream.Callback{Code: code}, testLogin); err != nil {
		t.Fatalf("Exchange: got error %v, want none", err)
	}
	form, user, pass := idp.LastTokenRequest()
	want := map[string]string{
		"grant_type":    "authorization_code",
		"code":          code,
		"code_verifier": testLogin.Verifier,
		"redirect_uri":  testRedirect,
	}
	for k, v := range want {
		if got := form.Get(k); got != v {
			t.Errorf("token request %s: got %q, want %q", k, got, v)
		}
	}
	if user != testClientID || pass != testSecret {
		t.Errorf("token request basic auth: got %q/%q, want %q/%q", user, pass, testClientID, testSecret)
	}
	if got := form.Get("client_secret"); got != "" {
		t.Errorf("token request client_secret form field: got %q, want none (basic auth)", got)
	}
}

func TestExchangeRefusesBadInput(t *testing.T) {
	idp := newHostile(t, nil)
	idp.SetToken(func(w http.ResponseWriter) {
		t.Error("token endpoint called, want no request")
		oidctest.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
	})
	p := newTestProvider(t, idp, Config{})
	tests := []struct {
		name string
		cb   upstream.Callback
		lp   upstream.LoginParams
	}{
		{name: "empty nonce", cb: upstream.Callback{Code: "c"}, lp: upstream.LoginParams{State: "s", Verifier: "v"}},
		{name: "empty verifier", cb: upstream.Callback{Code: "c"}, lp: upstream.LoginParams{State: "s", Nonce: "n"}},
		{name: "empty code", cb: upstream.Callback{}, lp: testLogin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := p.Exchange(context.Background(), tc.cb, tc.lp); err == nil {
				t.Errorf("got no error, want one")
			}
		})
	}
}

func TestAuthCodeURL(t *testing.T) {
	idp := newHostile(t, nil)
	p := newTestProvider(t, idp, Config{
		Scopes:     []string{"email"},
		AuthParams: map[string]string{"prompt": "select_account", "hd": "example.com"},
	})
	u, err := url.Parse(p.AuthCodeURL(testLogin))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, idp.Issuer()+"/authorize"; got != want {
		t.Errorf("endpoint: got %q, want %q", got, want)
	}
	q := u.Query()
	want := map[string]string{
		"response_type":         "code",
		"client_id":             testClientID,
		"redirect_uri":          testRedirect,
		"scope":                 "openid email",
		"state":                 testLogin.State,
		"nonce":                 testLogin.Nonce,
		"code_challenge_method": "S256",
		"code_challenge":        oauth2.S256ChallengeFromVerifier(testLogin.Verifier),
		"prompt":                "select_account",
		"hd":                    "example.com",
	}
	for k, v := range want {
		if got := q[k]; len(got) != 1 || got[0] != v {
			t.Errorf("param %s: got %q, want [%q]", k, got, v)
		}
	}
	for _, k := range []string{"resource", "code_verifier", "client_secret", "login_hint"} {
		if q.Has(k) {
			t.Errorf("param %s: got %q, want absent", k, q.Get(k))
		}
	}

	hinted := testLogin
	hinted.LoginHint = "ann@example.com"
	u, err = url.Parse(p.AuthCodeURL(hinted))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query()["login_hint"]; len(got) != 1 || got[0] != "ann@example.com" {
		t.Errorf("login_hint: got %q, want the email the user gave", got)
	}
}

func TestNewRejectsReservedAuthParams(t *testing.T) {
	idp := newHostile(t, nil)
	for _, k := range []string{"state", "nonce", "code_challenge", "code_challenge_method", "redirect_uri", "client_id", "response_type", "scope", "resource", "response_mode", "request_uri", "Resource"} {
		t.Run(k, func(t *testing.T) {
			_, err := New(context.Background(), Config{
				Issuer: idp.Issuer(), ClientID: testClientID, RedirectURL: testRedirect,
				AuthParams: map[string]string{k: "x"},
			})
			if err == nil || !strings.Contains(err.Error(), "reserved") {
				t.Errorf("got error %v, want a reserved-param error", err)
			}
		})
	}
}

func TestNewDiscoveryErrors(t *testing.T) {
	idp := newHostile(t, nil)
	tests := []struct {
		name, issuer string
	}{
		{name: "issuer mismatch", issuer: idp.Issuer() + "/"},
		{name: "no discovery document", issuer: idp.Issuer() + "/nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), Config{
				Issuer: tc.issuer, ClientID: testClientID, RedirectURL: testRedirect,
			})
			if want := "upstream: discover " + tc.issuer + ": "; err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got error %v, want prefix %q", err, want)
			}
		})
	}
}
