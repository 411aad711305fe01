package authserver

import (
	"context"
	"errors"
	"slices"
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
	switch r.GrantType {
	case GrantAuthorizationCode:
		return s.exchangeCode(ctx, client, r)
	case GrantRefreshToken:
		return s.refresh(ctx, client, r)
	case "":
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "grant_type is required")
	default:
		return TokenResponse{}, oauth.NewError(oauth.ErrUnsupportedGrantType, "supported grants: authorization_code, refresh_token")
	}
}

// errCodeReplay carries the family a replayed code issued, to revoke it.
type errCodeReplay struct{ familyID string }

func (errCodeReplay) Error() string { return "authorization code replayed" }

func (s *Server) exchangeCode(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if r.Code == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "code is required")
	}
	if r.CodeVerifier == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "code_verifier is required (PKCE)")
	}
	if desc := s.checkResource(r.Resources, false); desc != "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidTarget, desc)
	}
	familyID := oauth.NewID()
	code, err := s.store.UpdateAuthCode(ctx, oauth.Hash(r.Code), func(c *store.AuthCode) error {
		if c.Redeemed {
			return errCodeReplay{familyID: c.FamilyID}
		}
		switch {
		case c.ClientID != client.ID:
			return oauth.NewError(oauth.ErrInvalidGrant, "the code was issued to another client")
		case r.RedirectURI != c.RedirectURI:
			return oauth.NewError(oauth.ErrInvalidGrant, "redirect_uri does not match the authorization request")
		case !oauth.VerifyPKCE(c.CodeChallenge, r.CodeVerifier):
			return oauth.NewError(oauth.ErrInvalidGrant, "code_verifier does not match the code_challenge")
		}
		c.Redeemed = true
		c.FamilyID = familyID
		return nil
	})
	var replay errCodeReplay
	switch {
	case errors.As(err, &replay):
		// RFC 6749 §4.1.2: a replayed code means it leaked; what the first
		// redemption issued goes too.
		if err := s.store.RevokeRefreshFamily(ctx, replay.familyID); err != nil {
			return TokenResponse{}, internal("revoke family of replayed code", err)
		}
		s.log.WarnContext(ctx, "authorization code replayed; its tokens were revoked", "client_id", client.ID)
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the code was already used")
	case errors.Is(err, store.ErrNotFound):
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the code is invalid or expired")
	case err != nil:
		var oe *oauth.Error
		if errors.As(err, &oe) {
			return TokenResponse{}, oe
		}
		return TokenResponse{}, internal("redeem code", err)
	}

	now := s.now()
	rt := store.RefreshToken{
		FamilyID:        familyID,
		ClientID:        client.ID,
		Scopes:          code.Scopes,
		Resource:        code.Resource,
		Identity:        code.Identity,
		AuthTime:        code.AuthTime,
		FamilyExpiresAt: now.Add(s.cfg.RefreshTokenTTL),
	}
	return s.issueTokens(ctx, client, rt, now, func(next store.RefreshToken) error {
		return s.store.CreateRefreshToken(ctx, next)
	})
}

// errRefreshReuse: a rotated refresh token came back after the grace window.
type errRefreshReuse struct{ familyID string }

func (errRefreshReuse) Error() string { return "rotated refresh token reused" }

func (s *Server) refresh(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if r.RefreshToken == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "refresh_token is required")
	}
	if desc := s.checkResource(r.Resources, false); desc != "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidTarget, desc)
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
		if !cur.RotatedAt.IsZero() && now.Sub(cur.RotatedAt) > s.cfg.RefreshGrace {
			return nil, errRefreshReuse{familyID: cur.FamilyID}
		}
		scopes, err := narrowScopes(r.Scope, cur.Scopes)
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

// narrowScopes applies RFC 6749 §6: a refresh may ask for fewer scopes,
// never more.
func narrowScopes(raw string, granted []string) ([]string, error) {
	req := oauth.ParseScope(raw)
	if len(req) == 0 {
		return granted, nil
	}
	var out []string
	for _, sc := range req {
		if !slices.Contains(granted, sc) {
			return nil, oauth.NewError(oauth.ErrInvalidScope, "a refresh cannot add the scope "+sc)
		}
		out = append(out, sc)
	}
	return out, nil
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
