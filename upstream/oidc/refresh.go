package oidc

import (
	"context"
	"errors"
	"fmt"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
)

var _ upstream.Refresher = (*Provider)(nil)

// Refreshable implements upstream.Refresher: with a refresh token.
func (p *Provider) Refreshable(t upstream.Tokens) bool { return t.RefreshToken != "" }

// Refresh implements upstream.Refresher. The ID token of a refresh has no
// nonce (OIDC Core 12.2) but must be about the same user; without one the
// user is read from userinfo, and without either only the grant's
// survival is known: the identity then carries just the subject and the
// new tokens.
func (p *Provider) Refresh(ctx context.Context, subject string, t upstream.Tokens) (upstream.Identity, error) {
	if t.RefreshToken == "" {
		return upstream.Identity{}, errors.New("upstream: refresh: no refresh token")
	}
	ctx = gooidc.ClientContext(ctx, p.client)
	tok, err := p.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: t.RefreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			return upstream.Identity{}, fmt.Errorf("%w: %s", upstream.ErrGrantRevoked, re.ErrorCode)
		}
		return upstream.Identity{}, fmt.Errorf("upstream: refresh: %w", err)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = t.RefreshToken // not rotated: the old one stays good
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		if p.check != nil {
			// The preset's checks (Google's hd, Entra's tenant, Keycloak's
			// group paths) read the ID token: without one they cannot run.
			return upstream.Identity{}, errors.New("upstream: refresh: the IdP sent no ID token to check the user with")
		}
		return p.refreshedWithoutIDToken(ctx, subject, tok, t.SessionID)
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return upstream.Identity{}, fmt.Errorf("%w: refreshed id token: %w", upstream.ErrVerification, err)
	}
	if idt.IssuedAt.After(p.now().Add(maxClockSkew)) {
		return upstream.Identity{}, verificationError("refreshed id token issued in the future")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return upstream.Identity{}, fmt.Errorf("%w: at_hash: %w", upstream.ErrVerification, err)
		}
	}
	id, err := p.identify(ctx, tok, idt, true)
	if err != nil {
		return upstream.Identity{}, err
	}
	if id.Subject != subject {
		return upstream.Identity{}, verificationError("refreshed id token is about another user")
	}
	if id.Tokens.SessionID == "" {
		id.Tokens.SessionID = t.SessionID
	}
	return id, nil
}

func (p *Provider) refreshedWithoutIDToken(ctx context.Context, subject string, tok *oauth2.Token, sid string) (upstream.Identity, error) {
	id := upstream.Identity{Subject: subject}
	if p.op.UserInfoEndpoint() != "" && tok.AccessToken != "" {
		ui, err := p.op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return upstream.Identity{}, fmt.Errorf("upstream: refresh: userinfo: %w", err)
		}
		if p.issuer+"#"+ui.Subject != subject {
			return upstream.Identity{}, verificationError("userinfo after refresh is about another user")
		}
		claims, err := rawClaims(ui.Claims)
		if err != nil {
			return upstream.Identity{}, fmt.Errorf("upstream: refresh: userinfo: %w", err)
		}
		id = identity(subject, claims, p.groupsClaim)
	}
	id.Tokens = upstream.Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, SessionID: sid}
	return id, nil
}
