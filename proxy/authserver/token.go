package authserver

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// Grant types.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// TokenRequest is a token endpoint request after client authentication.
type TokenRequest struct {
	GrantType    string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	Scope        string
	Resources    []string
}

// TokenResponse is the RFC 6749 §5.1 answer.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// Token runs a grant for an authenticated client. Protocol failures come as
// *oauth.Error.
func (s *Server) Token(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if _, machine := s.accounts[client.ID]; machine && r.GrantType != GrantClientCredentials {
		return TokenResponse{}, oauth.NewError(oauth.ErrUnauthorizedClient, "service accounts use client_credentials only")
	}
	switch r.GrantType {
	case GrantAuthorizationCode:
		return s.exchangeCode(ctx, client, r)
	case GrantRefreshToken:
		return s.refresh(ctx, client, r)
	case GrantClientCredentials:
		return s.clientCredentialsGrant(ctx, client, r)
	case "":
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "grant_type is required")
	default:
		return TokenResponse{}, oauth.NewError(oauth.ErrUnsupportedGrantType, "supported grants: authorization_code, refresh_token, client_credentials")
	}
}

// errPeek aborts an update that only reads.
var errPeek = errors.New("read only")

// exchangeCode redeems a code in two steps so that a replay can always
// revoke what the winner issued: the refresh token is saved before the code
// is marked redeemed, so whichever request loses the mark finds a family
// that already exists and revokes it.
func (s *Server) exchangeCode(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if r.Code == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "code is required")
	}
	if r.CodeVerifier == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "code_verifier is required (PKCE)")
	}
	hash := oauth.Hash(r.Code)
	var code store.AuthCode
	_, err := s.store.UpdateAuthCode(ctx, hash, func(c *store.AuthCode) error {
		code = *c
		return errPeek
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the code is invalid or expired")
	case !errors.Is(err, errPeek):
		return TokenResponse{}, internal("read code", err)
	case code.Redeemed:
		return TokenResponse{}, s.codeReplayed(ctx, client, code.FamilyID)
	case code.ClientID != client.ID:
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the code was issued to another client")
	case r.RedirectURI != code.RedirectURI:
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "redirect_uri does not match the authorization request")
	case !sameResource(r.Resources, code.Resource):
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidTarget, "resource must be "+code.Resource+", the resource the code was issued for")
	case !oauth.VerifyPKCE(code.CodeChallenge, r.CodeVerifier):
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "code_verifier does not match the code_challenge")
	}

	now := s.now()
	familyID := oauth.NewID()
	rt := store.RefreshToken{
		FamilyID:        familyID,
		ClientID:        client.ID,
		Scopes:          code.Scopes,
		Resource:        code.Resource,
		Identity:        code.Identity,
		AuthTime:        code.AuthTime,
		FamilyExpiresAt: now.Add(s.cfg.RefreshTokenTTL),
	}
	resp, err := s.issueTokens(ctx, client, rt, now, func(next store.RefreshToken) error {
		return s.store.CreateRefreshToken(ctx, next)
	})
	if err != nil {
		return TokenResponse{}, err
	}
	var replayedFamily string
	_, err = s.store.UpdateAuthCode(ctx, hash, func(c *store.AuthCode) error {
		if c.Redeemed {
			replayedFamily = c.FamilyID
			return errPeek
		}
		c.Redeemed = true
		c.FamilyID = familyID
		return nil
	})
	if err == nil {
		s.markClientUsed(ctx, client)
		return resp, nil
	}
	// Lost the race, or the code expired meanwhile: what this request
	// saved must not survive.
	if rerr := s.store.RevokeRefreshFamily(ctx, familyID); rerr != nil {
		return TokenResponse{}, internal("revoke unissued family", rerr)
	}
	switch {
	case replayedFamily != "":
		return TokenResponse{}, s.codeReplayed(ctx, client, replayedFamily)
	case errors.Is(err, store.ErrNotFound):
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the code is invalid or expired")
	default:
		return TokenResponse{}, internal("redeem code", err)
	}
}

// codeReplayed handles a second use of a code (RFC 6749 §4.1.2): it leaked,
// so what the first redemption issued is revoked too.
func (s *Server) codeReplayed(ctx context.Context, client store.Client, familyID string) error {
	if familyID != "" {
		if err := s.store.RevokeRefreshFamily(ctx, familyID); err != nil {
			return internal("revoke family of replayed code", err)
		}
	}
	s.log.WarnContext(ctx, "authorization code replayed; its tokens were revoked", "client_id", client.ID)
	return oauth.NewError(oauth.ErrInvalidGrant, "the code was already used")
}

// errRefreshReuse: a rotated refresh token came back after the grace window.
type errRefreshReuse struct{ familyID string }

func (errRefreshReuse) Error() string { return "rotated refresh token reused" }

func (s *Server) refresh(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if r.RefreshToken == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "refresh_token is required")
	}
	now := s.now()
	var (
		resp   TokenResponse
		signed bool
	)
	err := s.store.RotateRefreshToken(ctx, oauth.Hash(r.RefreshToken), func(cur *store.RefreshToken) (*store.RefreshToken, error) {
		if cur.ClientID != client.ID {
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the refresh token was issued to another client")
		}
		if !now.Before(cur.FamilyExpiresAt) {
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the refresh token has expired")
		}
		if !sameResource(r.Resources, cur.Resource) {
			return nil, oauth.NewError(oauth.ErrInvalidTarget, "resource must be "+cur.Resource+", the resource the refresh token was issued for")
		}
		if !cur.RotatedAt.IsZero() && now.Sub(cur.RotatedAt) > s.cfg.RefreshGrace {
			return nil, errRefreshReuse{familyID: cur.FamilyID}
		}
		scopes, err := s.narrowScopes(r.Scope, cur.Scopes)
		if err != nil {
			return nil, err
		}
		if cur.RotatedAt.IsZero() {
			cur.RotatedAt = now
		}
		next := *cur
		next.Scopes = scopes
		var successor *store.RefreshToken
		resp, err = s.issueTokens(ctx, client, next, now, func(n store.RefreshToken) error {
			successor = &n
			return nil
		})
		signed = err == nil
		return successor, err
	})
	var reuse errRefreshReuse
	switch {
	case err == nil && signed:
		return resp, nil
	case errors.As(err, &reuse):
		if err := s.store.RevokeRefreshFamily(ctx, reuse.familyID); err != nil {
			return TokenResponse{}, internal("revoke reused family", err)
		}
		s.log.WarnContext(ctx, "rotated refresh token reused; family revoked", "client_id", client.ID)
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the refresh token was already used")
	case errors.Is(err, store.ErrNotFound):
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the refresh token is invalid, expired or revoked")
	default:
		var oe *oauth.Error
		if errors.As(err, &oe) {
			return TokenResponse{}, oe
		}
		return TokenResponse{}, internal("rotate refresh token", err)
	}
}

// issueTokens signs an access token for the grant and hands the next
// refresh token to save; the response is returned only if saving worked, so
// a client never holds a refresh token the store does not know.
func (s *Server) issueTokens(ctx context.Context, client store.Client, rt store.RefreshToken, now time.Time, save func(store.RefreshToken) error) (TokenResponse, error) {
	access, err := s.signAccessToken(ctx, client.ID, rt, now)
	if err != nil {
		return TokenResponse{}, err
	}
	refresh := oauth.NewSecret()
	rt.Hash = oauth.Hash(refresh)
	rt.RotatedAt = time.Time{}
	rt.CreatedAt = now
	rt.ExpiresAt = rt.FamilyExpiresAt
	if err := save(rt); err != nil {
		return TokenResponse{}, internal("save refresh token", err)
	}
	return TokenResponse{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(s.cfg.AccessTokenTTL / time.Second),
		RefreshToken: refresh,
		Scope:        strings.Join(rt.Scopes, " "),
	}, nil
}
