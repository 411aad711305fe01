package authserver

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/tracing"
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
	// Assertion is the jwt-bearer grant's JWT (an ID-JAG).
	Assertion string
	// DPoPJKT is the thumbprint of the key of the request's verified DPoP
	// proof, "" without one: the access token is then bound to that key
	// (cnf.jkt, token_type DPoP).
	DPoPJKT string
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
	if !tracing.Recording(ctx) {
		return s.grant(ctx, client, r)
	}
	ctx, span := tracing.Child(ctx, "token."+grantSpanName(r.GrantType), attribute.String("oauth.client_id", client.ID))
	resp, err := s.grant(ctx, client, r)
	tracing.End(span, err)
	return resp, err
}

// grantSpanName keeps span names to the grants mcpgate knows: the
// grant_type is the client's to choose.
func grantSpanName(grantType string) string {
	switch grantType {
	case oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantClientCredentials:
		return grantType
	case oauth.GrantJWTBearer:
		return "jwt_bearer"
	}
	return "other"
}

func (s *Server) grant(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if r.DPoPJKT == "" {
		return s.runGrant(ctx, client, r)
	}
	resp, err := s.runGrant(withDPoPKey(ctx, r.DPoPJKT), client, r)
	if err == nil {
		resp.TokenType = "DPoP"
	}
	return resp, err
}

type dpopKey struct{}

// withDPoPKey makes the access tokens signed under ctx bound to jkt.
func withDPoPKey(ctx context.Context, jkt string) context.Context {
	return context.WithValue(ctx, dpopKey{}, jkt)
}

func dpopKeyOf(ctx context.Context) string {
	jkt, _ := ctx.Value(dpopKey{}).(string)
	return jkt
}

func (s *Server) runGrant(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if _, machine := s.accounts[client.ID]; machine && r.GrantType != oauth.GrantClientCredentials {
		return TokenResponse{}, oauth.NewError(oauth.ErrUnauthorizedClient, "service accounts use client_credentials only")
	}
	switch r.GrantType {
	case oauth.GrantAuthorizationCode:
		return s.exchangeCode(ctx, client, r)
	case oauth.GrantRefreshToken:
		return s.refresh(ctx, client, r)
	case oauth.GrantClientCredentials:
		return s.clientCredentialsGrant(ctx, client, r)
	case oauth.GrantJWTBearer:
		return s.idJAGGrant(ctx, client, r)
	case "":
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "grant_type is required")
	default:
		return TokenResponse{}, oauth.NewError(oauth.ErrUnsupportedGrantType, "supported grants: authorization_code, refresh_token, client_credentials")
	}
}

// exchangeCode redeems a code in one store operation: the checks run on
// the code as stored, and the code is marked redeemed together with the
// saving of the grant's first refresh token, so a replay always finds the
// family the winner got and revokes it. The access token is signed after
// the write, outside any lock.
func (s *Server) exchangeCode(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if r.Code == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "code is required")
	}
	if r.CodeVerifier == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "code_verifier is required (PKCE)")
	}
	now := s.now()
	secret := oauth.NewSecret()
	var rt store.RefreshToken
	err := s.store.RedeemAuthCode(ctx, oauth.Hash(r.Code), func(code store.AuthCode) (*store.RefreshToken, error) {
		switch {
		case code.Redeemed:
			return nil, errCodeReplayed{familyID: code.FamilyID}
		case code.ClientID != client.ID:
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the code was issued to another client")
		case r.RedirectURI != code.RedirectURI:
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "redirect_uri does not match the authorization request")
		case !sameResource(r.Resources, code.Resource):
			return nil, oauth.NewError(oauth.ErrInvalidTarget, "resource must be "+code.Resource+", the resource the code was issued for")
		case !oauth.VerifyPKCE(code.CodeChallenge, r.CodeVerifier):
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "code_verifier does not match the code_challenge")
		}
		rt = store.RefreshToken{
			Hash:            oauth.Hash(secret),
			FamilyID:        oauth.NewID(),
			ClientID:        client.ID,
			Scopes:          code.Scopes,
			Resource:        code.Resource,
			Identity:        code.Identity,
			AuthTime:        code.AuthTime,
			FamilyExpiresAt: now.Add(s.cfg.RefreshTokenTTL),
			CreatedAt:       now,
			DPoPJKT:         refreshBinding(ctx, client),
		}
		rt.ExpiresAt = rt.FamilyExpiresAt
		issued := rt
		return &issued, nil
	})
	var replay errCodeReplayed
	var oe *oauth.Error
	switch {
	case errors.As(err, &replay):
		return TokenResponse{}, s.codeReplayed(ctx, client, replay.familyID)
	case errors.Is(err, store.ErrNotFound):
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the code is invalid or expired")
	case errors.As(err, &oe):
		return TokenResponse{}, oe
	case err != nil:
		return TokenResponse{}, internal("redeem code", err)
	}
	resp, err := s.tokenResponse(ctx, client, rt, secret, now)
	if err != nil {
		// The code is spent and the grant unusable: nobody holds its
		// refresh token. Revoked, so that it does not linger either.
		s.revokeQuietly(ctx, rt.FamilyID)
		return TokenResponse{}, err
	}
	s.markClientUsed(ctx, client)
	s.recordGrant(ctx, rt, now)
	return resp, nil
}

func (s *Server) replayed(kind string) {
	if s.replay != nil {
		s.replay(kind)
	}
}

// errCodeReplayed: the code was redeemed before, by the grant familyID.
type errCodeReplayed struct{ familyID string }

func (errCodeReplayed) Error() string { return "authorization code replayed" }

// codeReplayed handles a second use of a code (RFC 6749 §4.1.2): it leaked,
// so what the first redemption issued is revoked too.
func (s *Server) codeReplayed(ctx context.Context, client store.Client, familyID string) error {
	if familyID != "" {
		if err := s.revokeGrant(ctx, familyID); err != nil {
			return internal("revoke family of replayed code", err)
		}
	}
	s.log.WarnContext(ctx, "authorization code replayed; its tokens were revoked", "client_id", client.ID)
	s.replayed("code")
	return oauth.NewError(oauth.ErrInvalidGrant, "the code was already used")
}

// errRefreshReuse: a rotated refresh token came back after the grace window.
type errRefreshReuse struct{ familyID string }

func (errRefreshReuse) Error() string { return "rotated refresh token reused" }

// refreshUpstream checks with the IdP, before the rotation, that the
// user of the refresh token may still sign in; an IdP that no longer
// grants access ends the family.
func (s *Server) refreshUpstream(ctx context.Context, client store.Client, refreshToken string) (*store.Identity, error) {
	if s.tracking == nil {
		return nil, nil
	}
	cur, err := s.store.GetRefreshToken(ctx, oauth.Hash(refreshToken))
	if err != nil || cur.ClientID != client.ID {
		return nil, nil // the rotation refuses it, with the right error
	}
	checkCtx, span := tracing.Child(ctx, "upstream.refresh", attribute.String("mcpgate.idp", cur.Identity.IdP))
	fresh, err := s.checkUpstream(checkCtx, cur.Identity)
	tracing.End(span, err)
	switch {
	case errors.Is(err, errUpstreamRevoked):
		if err := s.revokeGrant(ctx, cur.FamilyID); err != nil {
			return nil, internal("revoke family of a revoked upstream grant", err)
		}
		s.log.InfoContext(ctx, "the IdP no longer grants access; family revoked", "client_id", client.ID, "sub", cur.Identity.Subject)
		return nil, oauth.NewError(oauth.ErrInvalidGrant, "the identity provider no longer grants access to this user")
	case err != nil:
		s.log.ErrorContext(ctx, "check upstream grant", "client_id", client.ID, "err", err)
		return nil, oauth.NewError(oauth.ErrServerError, "the identity provider could not be asked about this user; try again")
	}
	return fresh, nil
}

// refresh rotates a refresh token in one store operation, then signs the
// access token for the successor outside it.
func (s *Server) refresh(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if r.RefreshToken == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "refresh_token is required")
	}
	fresh, err := s.refreshUpstream(ctx, client, r.RefreshToken)
	if err != nil {
		return TokenResponse{}, err
	}
	now := s.now()
	secret := oauth.NewSecret()
	var next store.RefreshToken
	var accessScopes []string
	err = s.store.RotateRefreshToken(ctx, oauth.Hash(r.RefreshToken), func(cur *store.RefreshToken) (*store.RefreshToken, error) {
		if fresh != nil && fresh.UpstreamGrant == cur.Identity.UpstreamGrant {
			// The user as the IdP describes them now: the policy below
			// decides on that, and the new tokens carry it.
			cur.Identity = *fresh
		}
		if cur.ClientID != client.ID {
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the refresh token was issued to another client")
		}
		switch jkt := dpopKeyOf(ctx); {
		case cur.DPoPJKT == "":
		case jkt == "":
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the refresh token is bound to a DPoP key: send a proof made with it")
		case jkt != cur.DPoPJKT:
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the DPoP proof is made with another key than the refresh token is bound to")
		}
		if !now.Before(cur.FamilyExpiresAt) {
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the refresh token has expired")
		}
		idp := s.idp(cur.Identity.IdP)
		if idp == nil {
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the identity provider of this sign-in is no longer configured")
		}
		if idp.MaxSessionAge > 0 && now.Sub(cur.AuthTime) > idp.MaxSessionAge {
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the sign-in is too old; sign in again")
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
		// A policy reloaded since the sign-in applies from the next
		// refresh: a user it no longer admits gets no new token, and a
		// scope it no longer grants the user is dropped.
		pol := s.cfg.Policy.Load()
		who := principalOf(cur.Identity, client.ID, nil)
		if !pol.SignIn(who).Allowed {
			return nil, oauth.NewError(oauth.ErrInvalidGrant, "the sign-in policy no longer admits this user")
		}
		// RFC 6749 §6: a refresh may ask for less, for this access token;
		// the new refresh token keeps the grant's scopes (less any the
		// policy no longer grants this user).
		rules := s.rulesFor(cur.Resource)
		accessScopes = grantable(rules, who, scopes)
		kept := grantable(rules, who, cur.Scopes)
		if cur.RotatedAt.IsZero() {
			cur.RotatedAt = now
		}
		next = *cur
		next.Hash = oauth.Hash(secret)
		next.Scopes = kept
		next.RotatedAt = time.Time{}
		next.CreatedAt = now
		next.ExpiresAt = next.FamilyExpiresAt
		successor := next
		return &successor, nil
	})
	var reuse errRefreshReuse
	var oe *oauth.Error
	switch {
	case errors.As(err, &reuse):
		if err := s.revokeGrant(ctx, reuse.familyID); err != nil {
			return TokenResponse{}, internal("revoke reused family", err)
		}
		s.log.WarnContext(ctx, "rotated refresh token reused; family revoked", "client_id", client.ID)
		s.replayed("refresh_token")
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the refresh token was already used")
	case errors.Is(err, store.ErrNotFound):
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the refresh token is invalid, expired or revoked")
	case errors.As(err, &oe):
		return TokenResponse{}, oe
	case err != nil:
		return TokenResponse{}, internal("rotate refresh token", err)
	}
	// A failure from here leaves the rotated token usable for the grace
	// window: the client's retry is served.
	// The access token carries what this refresh asked for.
	access := next
	access.Scopes = accessScopes
	resp, err := s.tokenResponse(ctx, client, access, secret, now)
	if err == nil {
		s.touchGrant(ctx, next, now)
	}
	return resp, err
}

// tokenResponse signs the access token for the grant rt and answers with
// it and the refresh token whose secret (rt is stored under its hash) only
// the client will hold.
func (s *Server) tokenResponse(ctx context.Context, client store.Client, rt store.RefreshToken, refreshSecret string, now time.Time) (TokenResponse, error) {
	access, err := s.signAccessToken(ctx, client.ID, rt, now)
	if err != nil {
		return TokenResponse{}, err
	}
	return TokenResponse{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(s.cfg.AccessTokenTTL / time.Second),
		RefreshToken: refreshSecret,
		Scope:        strings.Join(rt.Scopes, " "),
	}, nil
}

// refreshBinding is the DPoP key a new refresh family is bound to: a
// public client's, when it proved one (RFC 9449 §5); a confidential
// client's refresh tokens are bound by its own authentication instead.
func refreshBinding(ctx context.Context, client store.Client) string {
	if client.SecretHash != "" || client.TokenEndpointAuthMethod == oauth.AuthPrivateKeyJWT {
		return ""
	}
	return dpopKeyOf(ctx)
}
