package authserver

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// ServiceAccount is a machine client of the client_credentials grant (the
// MCP OAuth client credentials extension). Its tokens name the account
// itself as sub, and policy treats it like a user with its own groups.
type ServiceAccount struct {
	ID   string
	Name string
	// SecretHash is oauth.Hash of the secret; empty when the account
	// authenticates only with private_key_jwt.
	SecretHash string
	// Keys verify private_key_jwt assertions (RFC 7523); empty when the
	// account uses a secret only.
	Keys   jose.JSONWebKeySet
	Groups []string
	Scopes []string
	Email  string
}

const (
	// maxAssertionLife bounds how far in the future an assertion may
	// expire: its jti is remembered that long, and a long-lived assertion
	// is a stolen credential waiting to happen.
	maxAssertionLife = 10 * time.Minute
)

// AssertionAlgorithms are the asymmetric JWS algorithms accepted for
// private_key_jwt: every one configuration may give a key for; never HMAC
// or none.
var AssertionAlgorithms = []jose.SignatureAlgorithm{
	jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}

// authenticateAccount checks a service account's secret or assertion.
func (s *Server) authenticateAccount(ctx context.Context, a ServiceAccount, cred ClientCredentials) (store.Client, error) {
	client := store.Client{ID: a.ID, Name: a.Name, GrantTypes: []string{oauth.GrantClientCredentials}, Source: oauth.SourceServiceAccount}
	switch cred.Method {
	case oauth.AuthPrivateKeyJWT:
		if len(a.Keys.Keys) == 0 {
			return store.Client{}, errInvalidClient
		}
		if err := s.verifyAssertion(ctx, a.ID, a.Keys, cred.Assertion); err != nil {
			return store.Client{}, err
		}
		client.TokenEndpointAuthMethod = oauth.AuthPrivateKeyJWT
	case oauth.AuthSecretBasic, oauth.AuthSecretPost:
		if a.SecretHash == "" || !oauth.EqualHash(cred.Secret, a.SecretHash) {
			return store.Client{}, errInvalidClient
		}
		client.TokenEndpointAuthMethod = cred.Method
	default:
		return store.Client{}, errInvalidClient
	}
	return client, nil
}

type assertionClaims struct {
	jwt.Claims
}

// verifyAssertion checks an RFC 7523 client assertion: signed by one of the
// client's keys, iss = sub = the client, aud naming this server, short
// lived, and its jti never seen before on any replica.
func (s *Server) verifyAssertion(ctx context.Context, clientID string, set jose.JSONWebKeySet, assertion string) error {
	fail := func(desc string) error {
		s.log.InfoContext(ctx, "client assertion refused", "client_id", clientID, "reason", desc)
		return &oauth.Error{Code: oauth.ErrInvalidClient, Description: "client assertion refused: " + desc}
	}
	tok, err := jwt.ParseSigned(assertion, AssertionAlgorithms)
	if err != nil || len(tok.Headers) != 1 {
		return fail("not a signed JWT with a supported algorithm")
	}
	keys := set.Keys
	if kid := tok.Headers[0].KeyID; kid != "" {
		keys = set.Key(kid)
	}
	var c assertionClaims
	verified := false
	for _, k := range keys {
		if k.Algorithm != "" && k.Algorithm != tok.Headers[0].Algorithm {
			continue
		}
		if tok.Claims(k.Key, &c) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return fail("signature does not verify with the client's keys")
	}
	now := s.now()
	if err := c.ValidateWithLeeway(jwt.Expected{
		Issuer:      clientID,
		Subject:     clientID,
		AnyAudience: jwt.Audience{s.cfg.Issuer + "/token", s.cfg.Issuer},
		Time:        now,
	}, 30*time.Second); err != nil {
		return fail(assertionProblem(err))
	}
	if c.Expiry == nil || c.ID == "" {
		return fail("exp and jti are required")
	}
	exp := c.Expiry.Time()
	if exp.Sub(now) > maxAssertionLife {
		return fail("expires too far in the future")
	}
	err = s.store.ClaimOnce(ctx, "client-assertion:"+clientID+":"+c.ID, exp.Add(time.Minute))
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return fail("jti was already used")
	case err != nil:
		return internal("claim assertion jti", err)
	}
	return nil
}

func assertionProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return "expired"
	case errors.Is(err, jwt.ErrInvalidAudience):
		return "aud does not name this server"
	case errors.Is(err, jwt.ErrInvalidIssuer), errors.Is(err, jwt.ErrInvalidSubject):
		return "iss and sub must be the client id"
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return "not valid yet"
	default:
		return "claims are invalid"
	}
}

// clientCredentialsGrant issues a service account's access token. There is
// no refresh token (RFC 6749 §4.4.3): the account simply asks again.
func (s *Server) clientCredentialsGrant(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	a, ok := s.accounts[client.ID]
	if !ok {
		return TokenResponse{}, oauth.NewError(oauth.ErrUnauthorizedClient, "only service accounts may use client_credentials")
	}
	resource, desc := s.resolveResource(r.Resources)
	if desc != "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidTarget, desc)
	}
	allowed := a.Scopes
	if len(allowed) == 0 {
		allowed = s.resource(resource).Scopes
	}
	scopes := allowed
	if req := oauth.ParseScope(r.Scope); len(req) > 0 {
		scopes = nil
		for _, sc := range req {
			if !slices.Contains(allowed, sc) {
				return TokenResponse{}, oauth.NewError(oauth.ErrInvalidScope, "scope "+sc+" is not allowed for this account")
			}
			scopes = append(scopes, sc)
		}
	}
	now := s.now()
	access, err := s.signAccessToken(ctx, client.ID, store.RefreshToken{
		// The operator wrote the account's email: it is as verified as
		// anything mcpgate knows.
		Identity: store.Identity{Subject: a.ID, Email: a.Email, EmailVerified: a.Email != "", Name: a.Name, Groups: a.Groups},
		Scopes:   scopes,
		Resource: resource,
		AuthTime: now,
	}, now)
	if err != nil {
		return TokenResponse{}, err
	}
	s.log.InfoContext(ctx, "service account token issued", "client_id", a.ID)
	return TokenResponse{
		AccessToken: access,
		TokenType:   "Bearer",
		ExpiresIn:   int64(s.cfg.AccessTokenTTL / time.Second),
		Scope:       strings.Join(scopes, " "),
	}, nil
}
