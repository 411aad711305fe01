package authserver

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// ConsentPromptFor returns the prompt of a pending request, for rendering
// the consent page again (e.g. on reload). The request must belong to b.
func (s *Server) ConsentPromptFor(ctx context.Context, requestID string, b Browser) (*ConsentPrompt, error) {
	req, err := s.browserRequest(ctx, requestID, b)
	if err != nil {
		return nil, err
	}
	client, _, err := s.lookupClient(ctx, req.ClientID)
	if err != nil {
		return nil, s.clientGone(err)
	}
	email, subject := "", b.Subject
	if req.Identity != nil {
		email, subject = req.Identity.Email, req.Identity.Subject
	}
	prior, err := s.priorConsent(ctx, subject, req.ClientID)
	if err != nil {
		return nil, err
	}
	return consentPrompt(req, client, email, prior), nil
}

// Decide applies the user's answer on the consent page. The HTTP layer has
// checked the CSRF token; the request must also belong to this browser.
func (s *Server) Decide(ctx context.Context, requestID string, approve bool, b Browser) (Outcome, error) {
	req, err := s.browserRequest(ctx, requestID, b)
	if err != nil {
		return Outcome{}, err
	}
	if !approve {
		if err := s.store.DeleteAuthRequest(ctx, req.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return Outcome{}, internal("consent: delete request", err)
		}
		return s.errorRedirect(req.RedirectURI, req.State, oauth.ErrAccessDenied, "the user denied access"), nil
	}
	if req.Identity != nil {
		// Consent asked after the upstream login: the user is known, so
		// remember the approval and finish.
		if err := s.rememberConsent(ctx, *req.Identity, req); err != nil {
			return Outcome{}, err
		}
		return s.issueCode(ctx, req, *req.Identity, s.now())
	}
	req.ConsentGiven = true
	if id := s.sessionIdentity(ctx, b); id != nil {
		s.dropRequest(ctx, req.ID)
		return s.signedIn(ctx, req, *id, b.AuthTime)
	}
	return s.startUpstream(ctx, req, false)
}

func (s *Server) browserRequest(ctx context.Context, id string, b Browser) (store.AuthRequest, error) {
	req, err := s.store.GetAuthRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.AuthRequest{}, errFlowExpired
	}
	if err != nil {
		return store.AuthRequest{}, internal("get request", err)
	}
	if !oauth.EqualHash(b.ID, req.BrowserHash) || req.UpstreamStateHash != "" {
		// Another browser, or a flow already sent upstream: either way this
		// page was not the one the user was shown.
		return store.AuthRequest{}, pageError(http.StatusForbidden, "Sign-in not started here",
			"This sign-in was started in another browser or has moved on. Start again from your application.")
	}
	return req, nil
}

// rememberConsent records that the user approved the client for the
// request's scopes and resource, on top of what they approved before.
func (s *Server) rememberConsent(ctx context.Context, id store.Identity, req store.AuthRequest) error {
	now := s.now()
	c := store.Consent{Subject: id.Subject, ClientID: req.ClientID, Scopes: req.Scopes, Resources: []string{req.Resource}, CreatedAt: now}
	prior, err := s.priorConsent(ctx, id.Subject, req.ClientID)
	if err != nil {
		return err
	}
	if prior != nil {
		c.Scopes = union(prior.Scopes, req.Scopes)
		c.Resources = union(prior.Resources, c.Resources)
	}
	if s.cfg.ConsentTTL > 0 {
		c.ExpiresAt = now.Add(s.cfg.ConsentTTL)
	}
	if err := s.store.PutConsent(ctx, c); err != nil {
		return internal("save consent", err)
	}
	return nil
}

// priorConsent is the user's live approval of the client, or nil.
func (s *Server) priorConsent(ctx context.Context, subject, clientID string) (*store.Consent, error) {
	if subject == "" {
		return nil, nil
	}
	c, err := s.store.GetConsent(ctx, subject, clientID)
	switch {
	case err == nil:
		return &c, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	default:
		return nil, internal("get consent", err)
	}
}

// covers reports whether consent c approved everything req asks: each of
// its scopes and its resource. Asking for more means asking the user.
func covers(c *store.Consent, req store.AuthRequest) bool {
	if c == nil || !slices.Contains(c.Resources, req.Resource) {
		return false
	}
	for _, sc := range req.Scopes {
		if !slices.Contains(c.Scopes, sc) {
			return false
		}
	}
	return true
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, v := range b {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) clientGone(err error) error {
	if errors.Is(err, errUnknownClient) {
		return pageError(http.StatusBadRequest, "Unknown application",
			"The application is no longer registered with this server. Reconnect it from the application.")
	}
	return internal("get client", err)
}
