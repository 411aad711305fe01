package proxy

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
)

// browser reads the browser's cookie, setting a fresh one when it had none.
func (s *Server) browser(c echo.Context) (browserState, authserver.Browser) {
	st, fresh := s.cookies.read(c.Request(), time.Now())
	if fresh {
		s.cookies.write(c.Response(), st)
	}
	id, authTime := s.cookies.openIdentity(st)
	return st, authserver.Browser{ID: st.BrowserID, Subject: st.Subject, Identity: id, AuthTime: authTime}
}

// limitSignIns counts a sign-in started from the request's address (each
// leaves a pending request in the store); over the limit it answers 429
// and reports limited.
func (s *Server) limitSignIns(c echo.Context) (limited bool, err error) {
	ok, retry := s.authorizations.allow(c.Request().Context(), s.rateKey(c.Request()), time.Now())
	if ok {
		return false, nil
	}
	setRetryAfter(c, retry)
	return true, s.renderError(c, http.StatusTooManyRequests, "Too many sign-in attempts",
		"Too many sign-ins were started from your network. Wait a while and try again.")
}

// authorize serves /authorize (GET, or POST as RFC 6749 §3.1 allows).
func (s *Server) authorize(c echo.Context) error {
	// Each authorization request can leave a pending sign-in in the
	// store; an address gets a bounded number, counted across replicas.
	if limited, err := s.limitSignIns(c); limited {
		return err
	}
	var q url.Values
	if c.Request().Method == http.MethodPost {
		form, failed, err := s.readBrowserForm(c)
		if failed {
			return err
		}
		q = form
	} else {
		q = c.QueryParams()
	}
	if dup := duplicated(q, "client_id", "redirect_uri", "response_type", "state", "scope", "code_challenge", "code_challenge_method"); dup != "" {
		// RFC 6749 §3.1: parameters must not repeat; a repeated one could
		// be read differently by two parties.
		return s.renderError(c, http.StatusBadRequest, "Invalid request", "The parameter "+dup+" was sent more than once.")
	}
	_, b := s.browser(c)
	out, err := s.as.Authorize(c.Request().Context(), authserver.AuthorizeParams{
		ClientID:            q.Get("client_id"),
		RedirectURI:         q.Get("redirect_uri"),
		ResponseType:        q.Get("response_type"),
		State:               q.Get("state"),
		Scope:               q.Get("scope"),
		CodeChallenge:       q.Get("code_challenge"),
		CodeChallengeMethod: q.Get("code_challenge_method"),
		Resources:           q["resource"],
	}, b)
	if err != nil {
		return s.pageFailure(c, err)
	}
	return s.follow(c, out, b.ID)
}

// follow carries out an Outcome.
func (s *Server) follow(c echo.Context, out authserver.Outcome, browserID string) error {
	if out.SignedIn != nil {
		st := browserState{
			BrowserID:     browserID,
			Subject:       out.SignedIn.Subject,
			SubjectExpiry: time.Now().Add(s.cookies.ttl).Unix(),
		}
		switch prev, _ := s.cookies.read(c.Request(), time.Now()); {
		case out.SessionStarted && (s.reuseSignIn || out.KeepIdentity):
			st.Identity = s.cookies.sealIdentity(out.SignedIn, out.AuthTime)
		case !out.SessionStarted && prev.Subject == st.Subject:
			// Signed in from the session, which keeps its identity and
			// its end: reuse never extends a session.
			st.Identity, st.SubjectExpiry = prev.Identity, prev.SubjectExpiry
		}
		s.cookies.write(c.Response(), st)
		if out.KeepIdentity && st.Identity == "" {
			// The account page reads the user from the cookie, which
			// holds at most about 2.8 KB of identity.
			return s.renderError(c, http.StatusRequestHeaderFieldsTooLarge, "Account page not available",
				"Your sign-in carries too much to keep in this browser (hundreds of groups, say), so the account page cannot show your account. Ask your administrators.")
		}
	}
	if out.Consent != nil {
		return s.renderConsent(c, out.Consent, browserID)
	}
	if out.ChooseIdP != nil {
		return s.renderChooser(c, out.ChooseIdP, browserID)
	}
	if out.Refused != nil {
		// The session's user is refused: forget them, so that the next
		// sign-in in this browser goes to the IdP and may be someone else.
		s.cookies.write(c.Response(), browserState{BrowserID: browserID})
		return s.renderPage(c, http.StatusForbidden, "refused.html", struct {
			*authserver.SignInRefusal
			Return template.URL
		}{out.Refused, template.URL(out.Redirect)})
	}
	if out.Redirect == "" {
		return s.renderError(c, http.StatusInternalServerError, "Something went wrong", "The sign-in could not be completed.")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, out.Redirect)
}

func duplicated(q url.Values, keys ...string) string {
	for _, k := range keys {
		if len(q[k]) > 1 {
			return k
		}
	}
	return ""
}
