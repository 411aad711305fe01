package oidctest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidc"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

const redirectURI = "http://127.0.0.1:9/callback"

func start(t *testing.T) (*oidctest.IdP, *oidc.Provider) {
	t.Helper()
	idp := oidctest.Start(t, oidctest.Options{ClientID: "gate", ClientSecret: "gate-secret", RedirectURIs: []string{redirectURI}})
	p, err := oidc.New(context.Background(), oidc.Config{
		Issuer: idp.Issuer(), ClientID: "gate", ClientSecret: "gate-secret", RedirectURL: redirectURI,
	})
	if err != nil {
		t.Fatalf("oidc.New: %v", err)
	}
	return idp, p
}

func loginParams(n int) upstream.LoginParams {
	return upstream.LoginParams{
		State:    fmt.Sprintf("state-%d", n),
		Nonce:    fmt.Sprintf("nonce-%d", n),
		Verifier: fmt.Sprintf("verifier-%d-abcdefghijklmnopqrstuvwxyz-0123456789", n),
	}
}

// login runs the browser part and returns the callback the gate would get.
func login(t *testing.T, idp *oidctest.IdP, p *oidc.Provider, lp upstream.LoginParams) upstream.Callback {
	t.Helper()
	cb, err := idp.Login(context.Background(), nil, p.AuthCodeURL(lp))
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != redirectURI {
		t.Fatalf("callback: got %q, want %q", got, redirectURI)
	}
	q := cb.Query()
	if q.Get("error") != "" {
		t.Fatalf("callback: got error %q (%s), want a code", q.Get("error"), q.Get("error_description"))
	}
	if got := q.Get("state"); got != lp.State {
		t.Fatalf("callback state: got %q, want %q", got, lp.State)
	}
	if q.Get("code") == "" {
		t.Fatal("callback: got no code, want one")
	}
	return upstream.Callback{Code: q.Get("code"), Iss: q.Get("iss")}
}

func TestFullFlow(t *testing.T) {
	// Parallel IdPs with the same client id: Start must not share state.
	for n := range 2 {
		t.Run(fmt.Sprint("idp", n), func(t *testing.T) {
			t.Parallel()
			idp, p := start(t)
			lp := loginParams(n)
			cb := login(t, idp, p, lp)

			got, err := p.Exchange(context.Background(), cb, lp)
			if err != nil {
				t.Fatalf("Exchange: got error %v, want none", err)
			}
			want := upstream.Identity{
				Subject:       idp.Issuer() + "#" + idp.Subject,
				Email:         idp.Email,
				EmailVerified: idp.EmailVerified,
				Name:          idp.Name,
			}
			if got.Tokens.AccessToken == "" {
				t.Error("the IdP's access token was not kept")
			}
			got.Tokens = upstream.Tokens{}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("identity: got %+v, want %+v", got, want)
			}

			_, err = p.Exchange(context.Background(), cb, lp)
			if err == nil {
				t.Fatal("second Exchange of the same code: got no error, want one")
			}
			// The IdP refuses the code at its token endpoint: not a
			// verification failure on our side.
			if errors.Is(err, upstream.ErrVerification) {
				t.Errorf("second Exchange: got %v, want a token endpoint error", err)
			}
		})
	}
}

func TestWrongNonceAgainstRealIdP(t *testing.T) {
	idp, p := start(t)
	lp := loginParams(1)
	cb := login(t, idp, p, lp)
	lp.Nonce = "nonce-of-another-login"
	if _, err := p.Exchange(context.Background(), cb, lp); !errors.Is(err, upstream.ErrVerification) {
		t.Errorf("got error %v, want ErrVerification", err)
	}
}

func TestWrongVerifierAgainstRealIdP(t *testing.T) {
	idp, p := start(t)
	lp := loginParams(1)
	cb := login(t, idp, p, lp)
	lp.Verifier = "another-verifier-abcdefghijklmnopqrstuvwxyz-0123456789"
	_, err := p.Exchange(context.Background(), cb, lp)
	if err == nil || errors.Is(err, upstream.ErrVerification) {
		t.Errorf("got error %v, want a token endpoint error", err)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	idp, p := start(t)
	bad := *idp
	bad.Password = "not-the-password"
	_, err := bad.Login(context.Background(), nil, p.AuthCodeURL(loginParams(1)))
	if err == nil || !strings.Contains(err.Error(), "wrong") {
		t.Errorf("got error %v, want a rejected login", err)
	}
}

func TestLoginLeavesCallerClientAlone(t *testing.T) {
	idp, p := start(t)
	client := &http.Client{}
	if _, err := idp.Login(context.Background(), client, p.AuthCodeURL(loginParams(1))); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if client.Jar != nil || client.CheckRedirect != nil {
		t.Errorf("caller's client: got Jar %v, CheckRedirect set %v, want both unset", client.Jar, client.CheckRedirect != nil)
	}
}
