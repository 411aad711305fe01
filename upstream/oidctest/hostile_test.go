package oidctest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidc"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

func startHostile(t *testing.T, opts oidctest.HostileOptions) (*oidctest.Hostile, *oidc.Provider) {
	t.Helper()
	opts.ClientID = "gate"
	if opts.RedirectURIs == nil {
		opts.RedirectURIs = []string{redirectURI}
	}
	h := oidctest.StartHostile(t, opts)
	p, err := oidc.New(context.Background(), oidc.Config{
		Issuer: h.Issuer(), ClientID: "gate", ClientSecret: "gate-secret", RedirectURL: opts.RedirectURIs[0],
	})
	if err != nil {
		t.Fatalf("oidc.New: %v", err)
	}
	return h, p
}

// noFollow stops at the first redirect, as a test that reads the callback
// URL without serving it does.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// hostileLogin runs /authorize without following the redirect back.
func hostileLogin(t *testing.T, p *oidc.Provider, lp upstream.LoginParams) url.Values {
	t.Helper()
	resp, err := noFollow.Get(p.AuthCodeURL(lp))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: got status %d (location error %v), want 302", resp.StatusCode, err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		t.Fatalf("authorize: redirected to %q, want %q", got, redirectURI)
	}
	return loc.Query()
}

var hostileIdentity = upstream.Identity{Email: oidctest.HostileEmail, EmailVerified: true, Name: oidctest.HostileName}

func TestHostileDefaultSignsIn(t *testing.T) {
	h, p := startHostile(t, oidctest.HostileOptions{})
	lp := loginParams(1)
	q := hostileLogin(t, p, lp)
	if q.Get("state") != lp.State || q.Get("code") == "" || q.Has("iss") {
		t.Fatalf("callback query: got %v, want state %q, a code and no iss", q, lp.State)
	}
	got, err := p.Exchange(context.Background(), upstream.Callback{Code: q.Get("code")}, lp)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	want := hostileIdentity
	want.Subject = h.Issuer() + "#" + oidctest.HostileSubject
	got.Tokens = upstream.Tokens{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("identity: got %+v, want %+v", got, want)
	}

	req, ok := h.LastAuthorizeRequest()
	wantReq := oidctest.AuthorizeRequest{
		ClientID: "gate", RedirectURI: redirectURI, State: lp.State, Nonce: lp.Nonce,
		CodeChallenge: oauth2.S256ChallengeFromVerifier(lp.Verifier),
	}
	if !ok || req != wantReq {
		t.Errorf("LastAuthorizeRequest: got %+v, %v, want %+v, true", req, ok, wantReq)
	}
	form, user, pass := h.LastTokenRequest()
	if form.Get("code") != q.Get("code") || form.Get("code_verifier") != lp.Verifier || user != "gate" || pass != "gate-secret" {
		t.Errorf("LastTokenRequest: got %v, %q, %q", form, user, pass)
	}
}

// TestHostileBrowserFollows runs the flow with a client that follows the
// redirect to a real callback, with the RFC 9207 iss parameter advertised.
func TestHostileBrowserFollows(t *testing.T) {
	var mu sync.Mutex
	var got url.Values
	cbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.URL.Query()
		mu.Unlock()
	}))
	t.Cleanup(cbSrv.Close)
	h, p := startHostile(t, oidctest.HostileOptions{
		RedirectURIs:   []string{cbSrv.URL + "/cb"},
		DiscoveryExtra: map[string]any{"authorization_response_iss_parameter_supported": true},
	})
	lp := loginParams(2)
	resp, err := http.Get(p.AuthCodeURL(lp))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/cb" {
		t.Fatalf("browser: got status %d at %s, want 200 at /cb", resp.StatusCode, resp.Request.URL)
	}
	mu.Lock()
	q := got
	mu.Unlock()
	if q.Get("iss") != h.Issuer() || q.Get("state") != lp.State {
		t.Fatalf("callback query: got %v, want iss %q and state %q", q, h.Issuer(), lp.State)
	}
	if _, err := p.Exchange(context.Background(), upstream.Callback{Code: q.Get("code"), Iss: q.Get("iss")}, lp); err != nil {
		t.Errorf("Exchange: %v", err)
	}
}

func TestHostileScriptedRefusals(t *testing.T) {
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		idToken func(h *oidctest.Hostile, req oidctest.AuthorizeRequest) string
	}{
		{"bad signature", func(h *oidctest.Hostile, req oidctest.AuthorizeRequest) string {
			return h.Sign(other, h.ValidClaims(req))
		}},
		{"wrong audience", func(h *oidctest.Hostile, req oidctest.AuthorizeRequest) string {
			c := h.ValidClaims(req)
			c["aud"] = "another-client"
			return h.Sign(h.Key(), c)
		}},
		{"wrong nonce", func(h *oidctest.Hostile, req oidctest.AuthorizeRequest) string {
			c := h.ValidClaims(req)
			c["nonce"] = req.Nonce + "-other"
			return h.Sign(h.Key(), c)
		}},
		{"no id_token", func(*oidctest.Hostile, oidctest.AuthorizeRequest) string { return "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, p := startHostile(t, oidctest.HostileOptions{})
			h.SetIDToken(func(req oidctest.AuthorizeRequest) string { return tc.idToken(h, req) })
			lp := loginParams(3)
			q := hostileLogin(t, p, lp)
			_, err := p.Exchange(context.Background(), upstream.Callback{Code: q.Get("code")}, lp)
			if !errors.Is(err, upstream.ErrVerification) {
				t.Errorf("got error %v, want ErrVerification", err)
			}
		})
	}
}

func TestHostileAuthorizeRefuses(t *testing.T) {
	h, _ := startHostile(t, oidctest.HostileOptions{})
	good := url.Values{"client_id": {"gate"}, "redirect_uri": {redirectURI}, "state": {"s"}}
	tests := []struct {
		name, key, value string
	}{
		{"unregistered redirect_uri", "redirect_uri", redirectURI + "/evil"},
		{"redirect_uri with extra query", "redirect_uri", redirectURI + "?x=1"},
		{"missing redirect_uri", "redirect_uri", ""},
		{"unknown client_id", "client_id", "mallory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range good {
				q[k] = v
			}
			q.Set(tc.key, tc.value)
			resp, err := noFollow.Get(h.Issuer() + "/authorize?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("got status %d location %q, want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
	if _, ok := h.LastAuthorizeRequest(); ok {
		t.Error("LastAuthorizeRequest: got one recorded, want none after refusals")
	}
}

// TestHostileConcurrentLogins redeems interleaved codes: each token answers
// the authorize request that issued its code, not merely the latest.
func TestHostileConcurrentLogins(t *testing.T) {
	h, p := startHostile(t, oidctest.HostileOptions{})
	const n = 8
	codes := make([]string, n)
	for i := range n {
		codes[i] = hostileLogin(t, p, loginParams(i)).Get("code")
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = p.Exchange(context.Background(), upstream.Callback{Code: codes[i]}, loginParams(i))
			h.SetUserinfo(map[string]any{"sub": fmt.Sprint(i)})
			h.LastTokenRequest()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("login %d: %v", i, err)
		}
	}
}

func TestHostileUserinfoAndToken(t *testing.T) {
	h, _ := startHostile(t, oidctest.HostileOptions{DiscoveryExtra: map[string]any{"userinfo_endpoint": nil}})
	resp, err := http.Get(h.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.Contains(string(doc), `"token_endpoint"`) || strings.Contains(string(doc), "userinfo") {
		t.Errorf("discovery: got %s (%v), want a token_endpoint and no userinfo_endpoint", doc, err)
	}

	h.SetToken(func(w http.ResponseWriter) {
		oidctest.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
	})
	resp, err = http.PostForm(h.Issuer()+"/token", url.Values{"code": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("scripted token endpoint: got status %d, want 400", resp.StatusCode)
	}
	if form, _, _ := h.LastTokenRequest(); form.Get("code") != "x" {
		t.Errorf("LastTokenRequest: got %v, want code x", form)
	}
}
