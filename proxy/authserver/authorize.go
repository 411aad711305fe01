package authserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/clientreg"
	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// AuthorizeParams are the parameters of an authorization request.
type AuthorizeParams struct {
	ClientID            string
	RedirectURI         string
	ResponseType        string
	State               string
	Scope               string
	CodeChallenge       string
	CodeChallengeMethod string
	// Resources holds every resource parameter sent (RFC 8707 allows
	// several; mcpgate serves one).
	Resources []string
}

// Browser is what the HTTP layer knows of the browser making a request.
type Browser struct {
	// ID is the random value of the browser's cookie; flows are bound to
	// its hash.
	ID string
	// Subject is the user the browser's session belongs to, if any.
	Subject string
	// Identity is that user as the IdP described them at the session's
	// sign-in, when the session keeps it (Config.ReuseSignIn): flows in
	// this browser then skip the upstream login.
	Identity *store.Identity
	// AuthTime is when the session's user signed in at the IdP.
	AuthTime time.Time
}

// sessionIdentity is the identity a flow in browser b may use instead of
// an upstream login, or nil.
// A sign-in the IdP has ended since (a logout, or a refusal on refresh
// that deleted its upstream grant) is not reused: the user signs in again.
func (s *Server) sessionIdentity(ctx context.Context, b Browser) *store.Identity {
	if !s.cfg.ReuseSignIn || b.Identity == nil || b.Subject == "" || b.Identity.Subject != b.Subject || s.idp(b.Identity.IdP) == nil {
		return nil
	}
	if g := b.Identity.UpstreamGrant; g != "" && s.tracking != nil {
		if _, err := s.store.GetUpstreamGrant(ctx, g); err != nil {
			return nil
		}
	}
	return b.Identity
}

// Authorize handles an authorization request. Errors that can be sent back
// to a verified redirect URI come as an Outcome redirect; the others as a
// *PageError.
func (s *Server) Authorize(ctx context.Context, p AuthorizeParams, b Browser) (Outcome, error) {
	if p.ClientID == "" {
		return Outcome{}, pageError(http.StatusBadRequest, "Invalid request", "The request names no client (client_id is missing).")
	}
	client, trusted, err := s.lookupClient(ctx, p.ClientID)
	if errors.Is(err, errUnknownClient) {
		pe := pageError(http.StatusBadRequest, "Unknown application",
			"The application is not registered with this server. Reconnect it from the application so it can register again.")
		pe.Code = oauth.ErrInvalidClient
		return Outcome{}, pe
	}
	if err != nil {
		return Outcome{}, internal("authorize: get client", err)
	}
	redirectURI, ok := s.matchRedirect(client, p.RedirectURI)
	if !ok {
		return Outcome{}, pageError(http.StatusBadRequest, "Invalid redirect",
			"The application asked to be sent to an address it did not register, so the sign-in was stopped.")
	}

	// From here on the redirect URI is the client's own. Errors go back to
	// it only for clients the operator registered: anyone can register a
	// client (or publish a metadata document) naming any redirect URI, and
	// an error redirect before the user has even seen the consent page
	// would make mcpgate an open redirector (RFC 9700 §4.11.2).
	fail := func(code, description string) (Outcome, error) {
		if client.Source != oauth.SourceConfig {
			return Outcome{}, requestErrorPage(code, description)
		}
		return s.errorRedirect(redirectURI, p.State, code, description), nil
	}
	if p.ResponseType != "code" {
		return fail(oauth.ErrUnsupportedResponseType, "response_type must be code")
	}
	if p.CodeChallenge == "" {
		return fail(oauth.ErrInvalidRequest, "code_challenge is required (PKCE)")
	}
	if p.CodeChallengeMethod != oauth.MethodS256 {
		return fail(oauth.ErrInvalidRequest, "code_challenge_method must be S256")
	}
	if !oauth.ValidChallenge(p.CodeChallenge) {
		return fail(oauth.ErrInvalidRequest, "code_challenge is malformed")
	}
	resource, desc := s.resolveResource(p.Resources)
	if desc != "" {
		return fail(oauth.ErrInvalidTarget, desc)
	}
	scopes, desc := s.resolveScopes(p.Scope, client, resource)
	if desc != "" {
		return fail(oauth.ErrInvalidScope, desc)
	}

	now := s.now()
	req := store.AuthRequest{
		ID:                  oauth.NewID(),
		ClientID:            client.ID,
		RedirectURI:         redirectURI,
		State:               p.State,
		Scopes:              scopes,
		Resource:            resource,
		CodeChallenge:       p.CodeChallenge,
		CodeChallengeMethod: p.CodeChallengeMethod,
		BrowserHash:         oauth.Hash(b.ID),
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.cfg.FlowTTL),
	}
	prior, err := s.priorConsent(ctx, b.Subject, client.ID)
	if err != nil {
		return Outcome{}, err
	}
	if trusted {
		// Configured first-party clients need no consent; the flow is
		// marked as consented so that the callback does not ask either.
		req.ConsentGiven = true
		if id := s.sessionIdentity(ctx, b); id != nil {
			return s.signedIn(ctx, req, *id, b.AuthTime)
		}
		return s.startUpstream(ctx, req, true)
	}
	if !covers(prior, req) {
		if err := s.store.CreateAuthRequest(ctx, req); err != nil {
			return Outcome{}, internal("authorize: save request", err)
		}
		return Outcome{Consent: consentPrompt(req, client, "", prior)}, nil
	}
	// The browser's user approved this client for all of this before: the
	// session's identity finishes the flow, or the upstream leg starts now
	// and the callback checks that the same user came back.
	if id := s.sessionIdentity(ctx, b); id != nil {
		return s.signedIn(ctx, req, *id, b.AuthTime)
	}
	return s.startUpstream(ctx, req, true)
}

// requestErrorPage shows an authorization request's error to the user
// instead of sending it to an unverified redirect URI.
func requestErrorPage(code, description string) *PageError {
	pe := pageError(http.StatusBadRequest, "Invalid sign-in request",
		"The application sent a request this server cannot accept: "+description+" ("+code+"). "+
			"Nothing was sent back to the application. Try connecting it again, or report this to its developers.")
	pe.Code = code
	return pe
}

func (s *Server) matchRedirect(client store.Client, requested string) (string, bool) {
	if requested == "" {
		// OAuth 2.1 §4.1.1: optional only when exactly one is registered.
		if len(client.RedirectURIs) == 1 && !clientreg.IsLoopback(client.RedirectURIs[0]) {
			return client.RedirectURIs[0], true
		}
		return "", false
	}
	return clientreg.MatchRedirectURI(client.RedirectURIs, requested)
}

// clientName is how pages name client, and who vouches for the name.
func clientName(client store.Client) (name, provenance string) {
	name = client.Name
	if name == "" {
		name = client.ID
	}
	provenance = "The application chose this name itself; it is not verified."
	switch client.Source {
	case oauth.SourceConfig:
		provenance = "Registered by your administrators."
	case oauth.SourceCIMD:
		if u, err := url.Parse(client.ID); err == nil {
			provenance = "Described by a document published at " + u.Host + "."
		}
	}
	return name, provenance
}

func consentPrompt(req store.AuthRequest, client store.Client, email string, prior *store.Consent) *ConsentPrompt {
	host := req.RedirectURI
	if u, err := url.Parse(req.RedirectURI); err == nil {
		host = u.Host
		if host == "" {
			host = u.Scheme + ":"
		}
	}
	name, provenance := clientName(client)
	p := &ConsentPrompt{
		Provenance:       provenance,
		Resource:         req.Resource,
		RequestID:        req.ID,
		ClientID:         client.ID,
		ClientName:       name,
		ClientURI:        client.ClientURI,
		RedirectHost:     host,
		LoopbackRedirect: clientreg.IsLoopback(req.RedirectURI),
		Scopes:           req.Scopes,
		Email:            email,
	}
	if prior != nil {
		// Approved before, for less: the page says what is new.
		p.Previously = true
		for _, sc := range req.Scopes {
			if !slices.Contains(prior.Scopes, sc) {
				p.NewScopes = append(p.NewScopes, sc)
			}
		}
		p.NewResource = !slices.Contains(prior.Resources, req.Resource)
	}
	return p
}
