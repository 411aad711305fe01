package oidc

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

// refreshIDToken is an ID token of a refresh: no nonce, about sub.
func refreshIDToken(idp *oidctest.Hostile, sub string, groups []string) string {
	return idp.Sign(idp.Key(), map[string]any{
		"iss": idp.Issuer(), "aud": testClientID, "sub": sub, "iat": testNow.Unix(), "exp": testNow.Add(time.Hour).Unix(),
		"email": "alice@example.com", "email_verified": true, "name": "Alice", "groups": groups, "sid": "sid-2",
	})
}

func TestRefresh(t *testing.T) {
	old := upstream.Tokens{AccessToken: "at-1", RefreshToken: "rt-1", SessionID: "sid-1"}
	tests := []struct {
		name   string
		answer func(idp *oidctest.Hostile, w http.ResponseWriter)
		check  func(t *testing.T, id upstream.Identity, err error)
	}{
		{name: "rotated, with an ID token", answer: func(idp *oidctest.Hostile, w http.ResponseWriter) {
			oidctest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": "at-2", "token_type": "Bearer", "expires_in": 60,
				"refresh_token": "rt-2", "id_token": refreshIDToken(idp, "user-1", []string{"eng"})})
		}, check: func(t *testing.T, id upstream.Identity, err error) {
			if err != nil || id.Tokens.RefreshToken != "rt-2" || id.Tokens.AccessToken != "at-2" || !slices.Equal(id.Groups, []string{"eng"}) ||
				id.Tokens.SessionID != "sid-2" {
				t.Errorf("got %+v %v, want the new tokens and the groups as they are now", id, err)
			}
		}},
		{name: "not rotated", answer: func(idp *oidctest.Hostile, w http.ResponseWriter) {
			oidctest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": "at-2", "token_type": "Bearer",
				"id_token": refreshIDToken(idp, "user-1", nil)})
		}, check: func(t *testing.T, id upstream.Identity, err error) {
			if err != nil || id.Tokens.RefreshToken != "rt-1" {
				t.Errorf("got %+v %v, want the old refresh token kept", id, err)
			}
		}},
		{name: "user disabled", answer: func(_ *oidctest.Hostile, w http.ResponseWriter) {
			oidctest.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "grant request is invalid"})
		}, check: func(t *testing.T, _ upstream.Identity, err error) {
			if !errors.Is(err, upstream.ErrGrantRevoked) {
				t.Errorf("got %v, want ErrGrantRevoked", err)
			}
		}},
		{name: "IdP down", answer: func(_ *oidctest.Hostile, w http.ResponseWriter) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}, check: func(t *testing.T, _ upstream.Identity, err error) {
			if err == nil || errors.Is(err, upstream.ErrGrantRevoked) {
				t.Errorf("got %v, want an error that does not end the grant", err)
			}
		}},
		{name: "ID token about someone else", answer: func(idp *oidctest.Hostile, w http.ResponseWriter) {
			oidctest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": "at-2", "token_type": "Bearer",
				"id_token": refreshIDToken(idp, "user-2", nil)})
		}, check: func(t *testing.T, _ upstream.Identity, err error) {
			if !errors.Is(err, upstream.ErrVerification) {
				t.Errorf("got %v, want a verification error", err)
			}
		}},
		{name: "no ID token: userinfo", answer: func(idp *oidctest.Hostile, w http.ResponseWriter) {
			idp.SetUserinfo(map[string]any{"sub": "user-1", "email": "alice@example.com", "email_verified": true, "groups": []string{"ops"}})
			oidctest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": "at-2", "token_type": "Bearer", "refresh_token": "rt-2"})
		}, check: func(t *testing.T, id upstream.Identity, err error) {
			if err != nil || !slices.Equal(id.Groups, []string{"ops"}) || id.Tokens.RefreshToken != "rt-2" || id.Tokens.SessionID != "sid-1" {
				t.Errorf("got %+v %v, want the user from userinfo", id, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newHostile(t, nil)
			idp.SetToken(func(w http.ResponseWriter) { tt.answer(idp, w) })
			p := newTestProvider(t, idp, Config{})
			id, err := p.Refresh(context.Background(), idp.Issuer()+"#user-1", old)
			form, _, _ := idp.LastTokenRequest()
			if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != "rt-1" {
				t.Errorf("token request: %v", form)
			}
			tt.check(t, id, err)
		})
	}
}

// TestRefreshWithCheckNeedsIDToken: a preset's checks read the ID token,
// so a refresh without one is an error (not a revocation).
func TestRefreshWithCheckNeedsIDToken(t *testing.T) {
	idp := newHostile(t, nil)
	idp.SetUserinfo(map[string]any{"sub": "user-1"})
	idp.SetToken(func(w http.ResponseWriter) {
		oidctest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": "at-2", "token_type": "Bearer"})
	})
	p := newTestProvider(t, idp, Config{Check: func(context.Context, *SignIn) error { return nil }})
	_, err := p.Refresh(context.Background(), idp.Issuer()+"#user-1", upstream.Tokens{RefreshToken: "rt-1"})
	if err == nil || errors.Is(err, upstream.ErrGrantRevoked) {
		t.Errorf("got %v, want an error that does not end the grant", err)
	}
}
