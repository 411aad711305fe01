package authserver

import (
	"context"
	"errors"
	"net/http"

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
	email := ""
	if req.Identity != nil {
		email = req.Identity.Email
	}
	return consentPrompt(req, client, email), nil
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
		return s.issueCode(ctx, req, *req.Identity)
	}
	req.ConsentGiven = true
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

func (s *Server) rememberConsent(ctx context.Context, id store.Identity, req store.AuthRequest) error {
	now := s.now()
	c := store.Consent{Subject: id.Subject, ClientID: req.ClientID, Scopes: req.Scopes, CreatedAt: now}
	if s.cfg.ConsentTTL > 0 {
		c.ExpiresAt = now.Add(s.cfg.ConsentTTL)
	}
	if err := s.store.PutConsent(ctx, c); err != nil {
		return internal("save consent", err)
	}
	return nil
}

func (s *Server) clientGone(err error) error {
	if errors.Is(err, errUnknownClient) {
		return pageError(http.StatusBadRequest, "Unknown application",
			"The application is no longer registered with this server. Reconnect it from the application.")
	}
	return internal("get client", err)
}
