package authserver

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// AccountPath is the account page, where users see their personal access
// tokens; a sign-in for it comes back there.
const AccountPath = "/account"

// accountRequest reports whether req is a sign-in for the account page
// rather than an OAuth authorization: it has no client.
func accountRequest(req store.AuthRequest) bool { return req.ClientID == "" }

// StartAccountSignIn sends the browser to sign in for the account page
// (through the chooser when there are several IdPs), or straight to the
// page when its session is signed in already.
func (s *Server) StartAccountSignIn(ctx context.Context, b Browser) (Outcome, error) {
	if s.AccountIdentity(ctx, b) != nil {
		return Outcome{Redirect: AccountPath}, nil
	}
	now := s.now()
	req := store.AuthRequest{ID: oauth.NewID(), RedirectURI: AccountPath, BrowserHash: oauth.Hash(b.ID), ConsentGiven: true,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.FlowTTL)}
	return s.startUpstream(ctx, req, true)
}

// accountSignedIn finishes an account sign-in: the session starts, and
// keeps the identity for the page whatever session.reuse_sign_in says.
func (s *Server) accountSignedIn(ctx context.Context, req store.AuthRequest, identity store.Identity) Outcome {
	s.dropRequest(ctx, req.ID)
	return Outcome{Redirect: AccountPath, SignedIn: &identity, SessionStarted: true, KeepIdentity: true, AuthTime: s.now()}
}

// AccountIdentity is the user of browser b's session for the account
// page, or nil to sign in: the session's identity, from an IdP still
// configured, whose sign-in the IdP has not ended, and whom the sign-in
// policy still admits.
func (s *Server) AccountIdentity(ctx context.Context, b Browser) *store.Identity {
	id := b.Identity
	if id == nil || b.Subject == "" || id.Subject != b.Subject {
		return nil
	}
	idp := s.idp(id.IdP)
	if idp == nil || (idp.MaxSessionAge > 0 && s.now().Sub(b.AuthTime) > idp.MaxSessionAge) {
		return nil
	}
	if g := id.UpstreamGrant; g != "" && s.tracking != nil {
		if _, err := s.store.GetUpstreamGrant(ctx, g); err != nil {
			return nil
		}
	}
	if !s.cfg.Policy.Load().SignIn(principalOf(*id, "", nil)).Allowed {
		return nil
	}
	return id
}
