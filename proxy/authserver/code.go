package authserver

import (
	"context"
	"net/url"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/tracing"
)

// issueCode ends a successful flow: the code is bound to everything the
// token request must repeat, and the pending request is gone.
func (s *Server) issueCode(ctx context.Context, req store.AuthRequest, identity store.Identity, authTime time.Time) (Outcome, error) {
	ctx, span := tracing.Child(ctx, "signin.issue_code")
	out, err := s.storeCode(ctx, req, identity, authTime)
	tracing.End(span, err)
	return out, err
}

func (s *Server) storeCode(ctx context.Context, req store.AuthRequest, identity store.Identity, authTime time.Time) (Outcome, error) {
	// Narrowed here too: a flow that paused for consent comes back with
	// the scopes it asked for.
	req.Scopes = grantable(s.rulesFor(req.Resource), principalOf(identity, req.ClientID, nil), req.Scopes)
	code := oauth.NewSecret()
	now := s.now()
	err := s.store.CreateAuthCode(ctx, store.AuthCode{
		Hash:                oauth.Hash(code),
		ClientID:            req.ClientID,
		RedirectURI:         req.RedirectURI,
		Scopes:              req.Scopes,
		Resource:            req.Resource,
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: req.CodeChallengeMethod,
		Identity:            identity,
		AuthTime:            authTime,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.cfg.CodeTTL),
	})
	if err != nil {
		return Outcome{}, internal("issue code", err)
	}
	s.dropRequest(ctx, req.ID)
	s.log.InfoContext(ctx, "sign-in completed", "client_id", req.ClientID, "sub", identity.Subject)
	return Outcome{Redirect: redirectTo(req.RedirectURI, url.Values{
		"code":  {code},
		"state": {req.State},
		"iss":   {s.cfg.Issuer},
	})}, nil
}
