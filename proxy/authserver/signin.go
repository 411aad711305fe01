package authserver

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/policy"
	"github.com/mcpgate/mcpgate/proxy/principal"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// principalOf is the principal the policy sees for a signed-in identity.
func principalOf(identity store.Identity, clientID string, scopes []string) *principal.Principal {
	return &principal.Principal{
		Subject: identity.Subject, Email: identity.Email, EmailVerified: identity.EmailVerified,
		Name: identity.Name, Groups: identity.Groups, ClientID: clientID, Scopes: scopes, IdP: identity.IdP,
	}
}

// grantable narrows scopes to those the policy lets who hold: a scope a
// rule names is kept only for a user such a rule applies to.
func grantable(pol *policy.Policy, who *principal.Principal, scopes []string) []string {
	var out []string
	for _, sc := range scopes {
		if pol.GrantableScope(who, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// refuseSignIn ends a flow the sign-in policy refused: nothing is issued,
// the decision is logged, and the browser is shown why, with the way back
// to the client carrying access_denied.
// code names the reason for metrics (policy.SignInDecision.Code, or
// idp_rule for a preset's refusal).
func (s *Server) refuseSignIn(ctx context.Context, req store.AuthRequest, identity store.Identity, code, reason string) Outcome {
	s.dropRequest(ctx, req.ID)
	s.log.InfoContext(ctx, "sign-in refused by policy", "client_id", req.ClientID, "sub", identity.Subject, "reason", reason)
	if s.audit != nil {
		s.audit(SignInDecision{Subject: identity.Subject, IdP: identity.IdP, Email: identity.Email, ClientID: req.ClientID, Allowed: false, Reason: reason, Code: code})
	}
	as := identity.Email
	if as == "" {
		as = identity.Name
	}
	if as == "" {
		as = identity.Subject
	}
	name := req.ClientID
	if client, _, err := s.lookupClient(ctx, req.ClientID); err == nil && client.Name != "" {
		name = client.Name
	}
	out := s.errorRedirect(req.RedirectURI, req.State, oauth.ErrAccessDenied, "the sign-in policy does not admit this user")
	out.Refused = &SignInRefusal{As: as, Reason: reason, ClientName: name}
	return out
}

// SignInDecision is a sign-in the policy decided, for the audit log.
type SignInDecision struct {
	Subject, IdP, Email, ClientID string
	Allowed                       bool
	// Code names a refusal's reason in a word (metrics).
	Code   string
	Reason string
}
