package authserver_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/signer"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
	"github.com/mcpgate/mcpgate/proxy/store/storetest"
	"github.com/mcpgate/mcpgate/upstream"
)

// instantIdP signs in Ada at once: the state mcpgate sent comes back in
// the URL AuthCodeURL returns.
type instantIdP struct{}

func (instantIdP) AuthCodeURL(p upstream.LoginParams) string {
	return "https://idp.example.com/auth?" + url.Values{"state": {p.State}}.Encode()
}

func (instantIdP) Exchange(context.Context, upstream.Callback, upstream.LoginParams) (upstream.Identity, error) {
	return upstream.Identity{Subject: "https://idp.example.com#ada", Email: "ada@example.com", EmailVerified: true}, nil
}

// grantServer is an authorization server whose store and rules run on one
// settable clock.
type grantServer struct {
	*authserver.Server
	clock  *storetest.Clock
	client store.Client
}

const redirectURI = "http://127.0.0.1:7777/callback"

func newGrantServer(t *testing.T) *grantServer {
	t.Helper()
	clock := storetest.NewClock()
	st := memory.New(store.WithClock(clock.Now))
	keys, err := signer.New(context.Background(), st, signer.Options{TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s, err := authserver.New(authserver.Config{
		Issuer: issuer, Resource: issuer + "/mcp", Scopes: []string{"mcp"},
		AccessTokenTTL: time.Hour, RefreshTokenTTL: 24 * time.Hour, CodeTTL: time.Minute, RefreshGrace: 5 * time.Second,
		DynamicRegistration: true,
	}, authserver.Deps{Store: st, Signer: keys, IdPs: []authserver.IdP{{Provider: instantIdP{}}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Now = clock.Now
	c := store.Client{ID: "c1", RedirectURIs: []string{redirectURI}, TokenEndpointAuthMethod: oauth.AuthNone, Source: oauth.SourceDCR}
	if err := st.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return &grantServer{Server: s, clock: clock, client: c}
}

const verifier = "a-verifier-of-at-least-forty-three-characters-0123"

// code runs a sign-in and returns the code.
func (g *grantServer) code(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	b := authserver.Browser{ID: "browser-" + oauth.NewID()}
	out, err := g.Authorize(ctx, authserver.AuthorizeParams{
		ClientID: g.client.ID, RedirectURI: redirectURI, ResponseType: "code", State: "s",
		CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier), CodeChallengeMethod: oauth.MethodS256,
	}, b)
	if err != nil || out.Consent == nil {
		t.Fatalf("authorize: %v %+v, want the consent prompt", err, out)
	}
	out, err = g.Decide(ctx, out.Consent.RequestID, true, b)
	if err != nil {
		t.Fatal(err)
	}
	up, _ := url.Parse(out.Redirect)
	out, err = g.Callback(ctx, authserver.CallbackParams{State: up.Query().Get("state"), Code: "idp-code"}, b)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := url.Parse(out.Redirect)
	if back.Query().Get("code") == "" {
		t.Fatalf("no code in %s", out.Redirect)
	}
	return back.Query().Get("code")
}

func (g *grantServer) exchange(code string) (authserver.TokenResponse, error) {
	return g.Token(context.Background(), g.client, authserver.TokenRequest{
		GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: redirectURI, CodeVerifier: verifier,
	})
}

func (g *grantServer) refresh(rt string) (authserver.TokenResponse, error) {
	return g.Token(context.Background(), g.client, authserver.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: rt})
}

// wantOAuth checks that err is the OAuth error code, or no error for "".
func wantOAuth(t *testing.T, what string, err error, code string) {
	t.Helper()
	oe, _ := err.(*oauth.Error)
	switch {
	case code == "" && err != nil:
		t.Fatalf("%s: got %v, want success", what, err)
	case code != "" && (oe == nil || oe.Code != code):
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

// TestGrantTimes: the expiry, grace and replay rules of codes and refresh
// tokens, on a clock the test moves; nothing sleeps.
func TestGrantTimes(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, g *grantServer)
	}{
		{"code used within its life", func(t *testing.T, g *grantServer) {
			code := g.code(t)
			g.clock.Advance(59 * time.Second)
			_, err := g.exchange(code)
			wantOAuth(t, "exchange at 59 s", err, "")
		}},
		{"code past its life", func(t *testing.T, g *grantServer) {
			code := g.code(t)
			g.clock.Advance(61 * time.Second)
			_, err := g.exchange(code)
			wantOAuth(t, "exchange at 61 s", err, oauth.ErrInvalidGrant)
		}},
		{"code replayed revokes the winner's grant", func(t *testing.T, g *grantServer) {
			code := g.code(t)
			first, err := g.exchange(code)
			wantOAuth(t, "first exchange", err, "")
			_, err = g.exchange(code)
			wantOAuth(t, "replay", err, oauth.ErrInvalidGrant)
			_, err = g.refresh(first.RefreshToken)
			wantOAuth(t, "the winner's refresh after the replay", err, oauth.ErrInvalidGrant)
		}},
		{"rotated token retried within the grace window", func(t *testing.T, g *grantServer) {
			res, _ := g.exchange(g.code(t))
			next, err := g.refresh(res.RefreshToken)
			wantOAuth(t, "refresh", err, "")
			g.clock.Advance(4 * time.Second)
			_, err = g.refresh(res.RefreshToken)
			wantOAuth(t, "retry at 4 s (grace 5 s)", err, "")
			_, err = g.refresh(next.RefreshToken)
			wantOAuth(t, "the successor after the retry", err, "")
		}},
		{"rotated token reused after the grace window", func(t *testing.T, g *grantServer) {
			res, _ := g.exchange(g.code(t))
			next, err := g.refresh(res.RefreshToken)
			wantOAuth(t, "refresh", err, "")
			g.clock.Advance(6 * time.Second)
			_, err = g.refresh(res.RefreshToken)
			wantOAuth(t, "reuse at 6 s", err, oauth.ErrInvalidGrant)
			_, err = g.refresh(next.RefreshToken)
			wantOAuth(t, "the successor after the reuse (family revoked)", err, oauth.ErrInvalidGrant)
		}},
		{"family ends with its life, rotations or not", func(t *testing.T, g *grantServer) {
			res, _ := g.exchange(g.code(t))
			rt := res.RefreshToken
			for range 3 {
				g.clock.Advance(7 * time.Hour)
				next, err := g.refresh(rt)
				wantOAuth(t, "refresh within the day", err, "")
				rt = next.RefreshToken
			}
			g.clock.Advance(4 * time.Hour) // 25 h after sign-in
			_, err := g.refresh(rt)
			wantOAuth(t, "refresh after the family's 24 h", err, oauth.ErrInvalidGrant)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newGrantServer(t)) })
	}
}
