package authserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/upstream"
)

// idJAGGrant is enterprise-managed authorization (SEP-990): the client
// brings an ID-JAG its user's IdP issued it for this server (RFC 7523
// jwt-bearer grant), and gets an mcpgate access token with no browser
// sign-in and no consent, because the IdP's administrators decided. The
// user is mapped as a browser sign-in through that IdP maps them, and the
// same sign-in policy and rules apply. There is no refresh token: the
// client asks its IdP for a new ID-JAG, which is how the IdP keeps
// deciding.
func (s *Server) idJAGGrant(ctx context.Context, client store.Client, r TokenRequest) (TokenResponse, error) {
	if r.Assertion == "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidRequest, "assertion is required")
	}
	idp, verifier := s.idJAGIssuer(unverifiedIssuer(r.Assertion))
	if idp == nil {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the assertion's issuer is not trusted for ID-JAGs")
	}
	if !slices.Contains(idp.IDJAGClients, client.ID) {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "this identity provider may not grant this client access")
	}
	jag, err := verifier.VerifyIDJAG(ctx, r.Assertion, s.cfg.Issuer)
	var refused *upstream.Refusal
	switch {
	case errors.As(err, &refused):
		s.log.InfoContext(ctx, "ID-JAG refused by the IdP's rules", "client_id", client.ID, "reason", refused.Reason)
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, refused.Reason)
	case errors.Is(err, upstream.ErrVerification):
		s.log.InfoContext(ctx, "ID-JAG refused", "client_id", client.ID, "err", err)
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the assertion could not be verified")
	case err != nil:
		// The IdP's keys could not be fetched: nothing wrong with the
		// client's request.
		s.log.WarnContext(ctx, "ID-JAG verification failed", "client_id", client.ID, "err", err)
		return TokenResponse{}, &oauth.Error{Code: oauth.ErrTemporarilyUnavailable, Description: "the identity provider could not be reached", Status: 503}
	}
	if jag.ClientID != client.ID {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the assertion was issued to another client")
	}
	for _, res := range sameResources(r.Resources) {
		if res != jag.Resource {
			return TokenResponse{}, oauth.NewError(oauth.ErrInvalidTarget, "the resource differs from the assertion's")
		}
	}
	resource, problem := s.resolveResource([]string{jag.Resource})
	if problem != "" {
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidTarget, "the assertion's resource is not served here")
	}
	identity := idp.vouchable(jag.Identity)
	who := principalOf(identity, client.ID, nil)
	if d := s.cfg.Policy.Load().SignIn(who); !d.Allowed {
		s.log.InfoContext(ctx, "ID-JAG refused by the sign-in policy", "client_id", client.ID, "sub", identity.Subject, "reason", d.Reason)
		if s.audit != nil {
			s.audit(SignInDecision{Subject: identity.Subject, IdP: identity.IdP, Email: identity.Email, ClientID: client.ID, Reason: d.Reason, Code: d.Code})
		}
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the sign-in policy does not admit this user")
	}
	scopes, oe := idJAGScopes(oauth.ParseScope(r.Scope), jag.Scopes, s.resource(resource).Scopes)
	if oe != nil {
		return TokenResponse{}, oe
	}
	// Spent last, once every check passed: a refused request must not
	// use up a grant the client may present again when fixed.
	switch err := s.store.ClaimOnce(ctx, "id-jag:"+jag.Identity.Subject+":"+jag.TokenID, jag.Expiry.Add(time.Minute)); {
	case errors.Is(err, store.ErrAlreadyExists):
		return TokenResponse{}, oauth.NewError(oauth.ErrInvalidGrant, "the assertion was already used")
	case err != nil:
		return TokenResponse{}, internal("claim ID-JAG jti", err)
	}
	if s.audit != nil {
		s.audit(SignInDecision{Subject: identity.Subject, IdP: identity.IdP, Email: identity.Email, ClientID: client.ID, Allowed: true})
	}
	scopes = grantable(s.rulesFor(resource), who, scopes)
	now := s.now()
	// A grant of its own, though without refresh tokens: the token then
	// shows on the user's account page, and revoking the client there (or
	// an administrator's revocation) reaches it at once.
	rt := store.RefreshToken{FamilyID: oauth.NewID(), ClientID: client.ID, Identity: identity, Scopes: scopes, Resource: resource,
		AuthTime: now, FamilyExpiresAt: now.Add(s.cfg.AccessTokenTTL)}
	s.recordGrant(ctx, rt, now)
	access, err := s.signAccessToken(ctx, client.ID, rt, now)
	if err != nil {
		return TokenResponse{}, err
	}
	s.log.InfoContext(ctx, "access token issued for an ID-JAG", "client_id", client.ID, "sub", identity.Subject)
	return TokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(s.cfg.AccessTokenTTL / time.Second),
		Scope: strings.Join(scopes, " ")}, nil
}

// idJAGScopes: what the client asks for, else what the ID-JAG grants,
// else the resource's scopes; never beyond the ID-JAG's, when it names
// any, nor beyond the resource's.
func idJAGScopes(asked, granted, served []string) ([]string, *oauth.Error) {
	scopes := asked
	if len(scopes) == 0 {
		scopes = granted
	}
	if len(scopes) == 0 {
		return served, nil
	}
	for _, sc := range scopes {
		if !slices.Contains(served, sc) || (len(granted) > 0 && !slices.Contains(granted, sc)) {
			return nil, oauth.NewError(oauth.ErrInvalidScope, "scope "+sc+" is not granted")
		}
	}
	return scopes, nil
}

// idJAGIssuer is the configured IdP whose issuer is iss and that speaks
// for clients with ID-JAGs.
func (s *Server) idJAGIssuer(iss string) (*IdP, upstream.IDJAGVerifier) {
	if iss == "" {
		return nil, nil
	}
	for i := range s.idps {
		v, ok := s.idps[i].Provider.(upstream.IDJAGVerifier)
		if ok && len(s.idps[i].IDJAGClients) > 0 && v.Issuer() == iss {
			return &s.idps[i], v
		}
	}
	return nil, nil
}

// unverifiedIssuer reads iss from a JWT's payload, to pick the IdP whose
// keys then verify everything; "" when it is not a JWT.
func unverifiedIssuer(raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || len(parts[1]) > 16<<10 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return ""
	}
	return c.Iss
}
