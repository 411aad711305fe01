package authserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/tracing"
	"github.com/mcpgate/mcpgate/upstream"
)

// startUpstream sends the browser to the IdP of req, or, with several IdPs
// and none chosen yet, asks the user which.
func (s *Server) startUpstream(ctx context.Context, req store.AuthRequest, create bool) (Outcome, error) {
	switch {
	case len(s.idps) == 1:
		req.Upstream = s.idps[0].Name
	case req.Upstream == "":
		return s.askIdP(ctx, req, create)
	}
	return s.sendUpstream(ctx, req, create, "")
}

// sendUpstream creates the upstream state, nonce and PKCE verifier and
// sends the browser to the IdP req.Upstream names. The state is
// "<request id>.<secret>": the id finds the request, the secret (stored
// hashed) proves the callback carries the state mcpgate made, and it is
// made only now, after consent. loginHint, when set, is the email the user
// gave mcpgate.
func (s *Server) sendUpstream(ctx context.Context, req store.AuthRequest, create bool, loginHint string) (Outcome, error) {
	idp := s.idp(req.Upstream)
	if idp == nil {
		return Outcome{}, errFlowExpired // the IdP was removed since
	}
	if r, ok := idp.Provider.(upstream.Readier); ok {
		if err := r.Ready(ctx); err != nil {
			s.log.WarnContext(ctx, "sign-in refused: the IdP is not discovered", "idp", idp.Name, "err", err)
			return s.errorRedirect(req.RedirectURI, req.State, oauth.ErrTemporarilyUnavailable, "the identity provider could not be reached"), nil
		}
	}
	secret := oauth.NewSecret()
	req.UpstreamStateHash = oauth.Hash(secret)
	req.UpstreamNonce = oauth.NewSecret()
	req.UpstreamVerifier = oauth2.GenerateVerifier()
	req.ExpiresAt = s.now().Add(s.cfg.FlowTTL)
	if err := s.savePendingRequest(ctx, req, create); err != nil {
		return Outcome{}, err
	}
	return Outcome{Redirect: idp.Provider.AuthCodeURL(upstream.LoginParams{
		State:     req.ID + "." + secret,
		Nonce:     req.UpstreamNonce,
		Verifier:  req.UpstreamVerifier,
		LoginHint: loginHint,
	})}, nil
}

// savePendingRequest stores req, a flow not yet sent upstream: created, or
// written over the stored one unless that was sent upstream meanwhile (a
// second approval of the same page).
func (s *Server) savePendingRequest(ctx context.Context, req store.AuthRequest, create bool) error {
	var err error
	if create {
		err = s.store.CreateAuthRequest(ctx, req)
	} else {
		err = s.store.UpdateAuthRequest(ctx, req.ID, func(r *store.AuthRequest) error {
			if r.UpstreamStateHash != "" {
				return errFlowExpired
			}
			*r = req
			return nil
		})
	}
	var pe *PageError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe) || errors.Is(err, store.ErrNotFound):
		return errFlowExpired
	}
	return internal("save pending request", err)
}

// CallbackParams are what the IdP sent to mcpgate's redirect URI.
type CallbackParams struct {
	// IdP names the IdP whose callback path the browser came back to.
	IdP              string
	State            string
	Code             string
	Iss              string
	Error            string
	ErrorDescription string
}

var errWrongBrowser = pageError(http.StatusForbidden, "Sign-in not started here",
	"This sign-in was started in another browser. Start again from your application in this browser.")

// errWrongIdP: the answer came to another IdP's callback than the one the
// browser was sent to, the mark of a mix-up attack (RFC 9700 §4.4).
var errWrongIdP = pageError(http.StatusBadRequest, "Sign-in not accepted",
	"The answer came from another identity provider than the one this sign-in was sent to. Start again from your application.")

// Callback completes the upstream login: it consumes the state (single
// use, same browser), verifies the IdP's answer and issues mcpgate's code.
func (s *Server) Callback(ctx context.Context, p CallbackParams, b Browser) (Outcome, error) {
	ctx, span := tracing.Child(ctx, "signin.callback")
	out, err := s.callback(ctx, p, b)
	tracing.End(span, err)
	return out, err
}

func (s *Server) callback(ctx context.Context, p CallbackParams, b Browser) (Outcome, error) {
	id, secret, ok := strings.Cut(p.State, ".")
	if !ok || id == "" || secret == "" {
		return Outcome{}, errFlowExpired
	}
	var req store.AuthRequest
	err := s.store.UpdateAuthRequest(ctx, id, func(r *store.AuthRequest) error {
		if r.UpstreamStateHash == "" || !oauth.EqualHash(secret, r.UpstreamStateHash) {
			return errFlowExpired
		}
		if !oauth.EqualHash(b.ID, r.BrowserHash) {
			return errWrongBrowser
		}
		r.UpstreamStateHash = "" // single use, whatever comes next
		req = *r
		return nil
	})
	var pe *PageError
	switch {
	case errors.As(err, &pe):
		return Outcome{}, pe
	case errors.Is(err, store.ErrNotFound):
		return Outcome{}, errFlowExpired
	case err != nil:
		return Outcome{}, internal("callback: claim request", err)
	}

	idp := s.idp(req.Upstream)
	if req.Upstream != p.IdP || idp == nil {
		s.log.WarnContext(ctx, "upstream answer at another IdP's callback", "client_id", req.ClientID, "sent_to", req.Upstream, "came_to", p.IdP)
		s.dropRequest(ctx, req.ID)
		return Outcome{}, errWrongIdP
	}
	if p.Error != "" {
		s.log.InfoContext(ctx, "upstream refused sign-in", "client_id", req.ClientID, "upstream_error", p.Error)
		s.dropRequest(ctx, req.ID)
		return s.errorRedirect(req.RedirectURI, req.State, oauth.ErrAccessDenied, "the identity provider did not sign the user in"), nil
	}
	exchangeCtx, span := tracing.Child(ctx, "upstream.exchange", attribute.String("mcpgate.idp", idp.Name))
	ident, err := idp.Provider.Exchange(exchangeCtx, upstream.Callback{Code: p.Code, Iss: p.Iss}, upstream.LoginParams{
		State: p.State, Nonce: req.UpstreamNonce, Verifier: req.UpstreamVerifier,
	})
	tracing.End(span, err)
	var refused *upstream.Refusal
	if errors.As(err, &refused) {
		if refused.Cause != nil {
			s.log.WarnContext(ctx, "upstream sign-in refused", "client_id", req.ClientID, "err", refused.Cause)
		}
		return s.refuseSignIn(ctx, req, store.Identity{Subject: refused.Subject, Email: refused.Email, IdP: idp.Name}, "idp_rule", refused.Reason), nil
	}
	if err != nil {
		s.dropRequest(ctx, req.ID)
		if errors.Is(err, upstream.ErrVerification) {
			s.log.WarnContext(ctx, "upstream answer failed verification", "client_id", req.ClientID, "err", err)
			return s.errorRedirect(req.RedirectURI, req.State, oauth.ErrAccessDenied, "the sign-in could not be verified"), nil
		}
		s.log.ErrorContext(ctx, "upstream exchange failed", "client_id", req.ClientID, "err", err)
		return s.errorRedirect(req.RedirectURI, req.State, oauth.ErrTemporarilyUnavailable, "the identity provider could not be reached"), nil
	}

	identity := idp.vouchable(ident)
	if err := s.keepUpstreamGrant(ctx, idp, ident, &identity); err != nil {
		s.dropRequest(ctx, req.ID)
		return Outcome{}, internal("callback", err)
	}
	out, err := s.signedIn(ctx, req, identity, s.now())
	out.SessionStarted = out.SignedIn != nil
	return out, err
}

// signedIn goes on with a verified identity: the sign-in policy, consent,
// then the code.
// authTime is when the user signed in at the IdP: now, or the browser
// session's sign-in.
func (s *Server) signedIn(ctx context.Context, req store.AuthRequest, identity store.Identity, authTime time.Time) (Outcome, error) {
	pol := s.cfg.Policy.Load()
	who := principalOf(identity, req.ClientID, nil)
	_, span := tracing.Child(ctx, "signin.policy")
	d := pol.SignIn(who)
	if span.IsRecording() {
		span.SetAttributes(attribute.Bool("mcpgate.allowed", d.Allowed), attribute.String("mcpgate.reason_code", d.Code))
	}
	span.End()
	if !d.Allowed {
		return s.refuseSignIn(ctx, req, identity, d.Code, d.Reason), nil
	}
	if s.audit != nil {
		s.audit(SignInDecision{Subject: identity.Subject, IdP: identity.IdP, Email: identity.Email, ClientID: req.ClientID, Allowed: true})
	}
	if accountRequest(req) {
		return s.accountSignedIn(ctx, req, identity), nil
	}
	req.Scopes = grantable(s.rulesFor(req.Resource), who, req.Scopes)
	if !req.ConsentGiven {
		// The browser's session said this user had approved the client for
		// all of this; make sure the user who actually signed in has.
		prior, err := s.priorConsent(ctx, identity.Subject, req.ClientID)
		if err != nil {
			return Outcome{}, err
		}
		if !covers(prior, req) {
			return s.askConsentAfterLogin(ctx, req, identity, prior)
		}
	}
	if req.ConsentGiven {
		if err := s.rememberConsent(ctx, identity, req); err != nil {
			return Outcome{}, err
		}
	}
	out, err := s.issueCode(ctx, req, identity, authTime)
	out.SignedIn, out.AuthTime = &identity, authTime
	return out, err
}

func (s *Server) askConsentAfterLogin(ctx context.Context, req store.AuthRequest, identity store.Identity, prior *store.Consent) (Outcome, error) {
	client, _, err := s.lookupClient(ctx, req.ClientID)
	if err != nil {
		return Outcome{}, s.clientGone(err)
	}
	err = s.store.UpdateAuthRequest(ctx, req.ID, func(r *store.AuthRequest) error {
		r.Identity = &identity
		return nil
	})
	if err != nil {
		return Outcome{}, internal("callback: save identity", err)
	}
	return Outcome{Consent: consentPrompt(req, client, identity.Email, prior), SignedIn: &identity, AuthTime: s.now()}, nil
}

func (s *Server) dropRequest(ctx context.Context, id string) {
	if err := s.store.DeleteAuthRequest(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.WarnContext(ctx, "delete finished request", "err", err)
	}
}
