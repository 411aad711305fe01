package authserver

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// AccessTokenVerifier checks mcpgate's own JWTs and returns their payload;
// the signer implements it.
type AccessTokenVerifier interface {
	Verify(token, wantTyp string) ([]byte, error)
}

// Revoke implements RFC 7009 for an authenticated client. Revoking either
// a refresh token or an access token ends the whole grant (the refresh
// family); access tokens already issued stay valid until they expire, which
// is why their lifetime is short. Tokens that are unknown, expired or
// another client's are answered like successes (§2.2), so the endpoint tells
// nothing about tokens the caller does not own.
func (s *Server) Revoke(ctx context.Context, client store.Client, token string, verifier AccessTokenVerifier) error {
	if token == "" {
		return oauth.NewError(oauth.ErrInvalidRequest, "token is required")
	}
	familyID := ""
	if rt, err := s.store.GetRefreshToken(ctx, oauth.Hash(token)); err == nil {
		if rt.ClientID == client.ID {
			familyID = rt.FamilyID
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return internal("revoke: get refresh token", err)
	} else if verifier != nil {
		if payload, err := verifier.Verify(token, oauth.AccessTokenType); err == nil {
			var c oauth.AccessClaims
			if json.Unmarshal(payload, &c) == nil && c.ClientID == client.ID && c.Issuer == s.cfg.Issuer {
				familyID = c.SessionID
			}
		}
	}
	if familyID == "" {
		return nil
	}
	if err := s.store.RevokeRefreshFamily(ctx, familyID); err != nil {
		return internal("revoke family", err)
	}
	s.log.InfoContext(ctx, "grant revoked", "client_id", client.ID)
	return nil
}
