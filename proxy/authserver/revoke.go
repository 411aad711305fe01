package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"time"

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
// family), its access tokens included (revokeGrant). Tokens that are unknown, expired or
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
	if err := s.revokeGrant(ctx, familyID); err != nil {
		return internal("revoke family", err)
	}
	s.log.InfoContext(ctx, "grant revoked", "client_id", client.ID)
	return nil
}

// Revoked is told of every grant this replica revokes, so that its access
// tokens are refused here at once; other replicas learn of it from the
// store (store.Store.Revocations).
type Revoked interface {
	Add(r store.Revocation)
}

// revocationMargin keeps a revocation past the last expiry of its access
// tokens, for clocks of replicas that disagree a little and for a token
// signed a moment after its grant's last rotation.
const revocationMargin = time.Minute

// revokeGrant ends a grant: its refresh tokens at once, its access tokens
// wherever they are presented, within the replicas' revocation poll.
func (s *Server) revokeGrant(ctx context.Context, familyID string) error {
	if err := s.revokeFor(ctx, familyID, s.cfg.AccessTokenTTL); err != nil {
		return err
	}
	s.dropGrant(ctx, familyID)
	return nil
}

// revokeFor records the revocation of id for as long as a token naming it
// may be honoured without reading the store: lifetime, and a margin.
func (s *Server) revokeFor(ctx context.Context, id string, lifetime time.Duration) error {
	now := s.now()
	r := store.Revocation{FamilyID: id, RevokedAt: now, ExpiresAt: now.Add(lifetime + revocationMargin)}
	if err := s.store.RevokeGrant(ctx, r); err != nil {
		return err
	}
	if s.revoked != nil {
		s.revoked.Add(r)
	}
	return nil
}

// revokeQuietly revokes a grant whose tokens never left this server; a
// failure is only logged, since nobody can use the grant anyway.
func (s *Server) revokeQuietly(ctx context.Context, familyID string) {
	if err := s.revokeGrant(ctx, familyID); err != nil {
		s.log.WarnContext(ctx, "revoke unissued grant", "err", err)
	}
}
