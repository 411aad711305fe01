package devidp

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

const csrfCookie = "devidp_csrf"

// digestFormat is base64url of 32 bytes: an S256 code_challenge, and what
// randomToken produces (a cookie of another shape was not set by us).
var digestFormat = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// serveAuthorize checks the authorization request and shows the login form.
// Until client_id and redirect_uri are known good, errors are shown here
// rather than redirected (RFC 6749 section 4.1.2.1), so the endpoint cannot
// be used as an open redirector.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		p.refusePage(w, http.StatusBadRequest, "The authorization request's query string is malformed.")
		return
	}
	clientID, ok := single(q, "client_id")
	if !ok || clientID != p.clientID {
		p.refusePage(w, http.StatusBadRequest, "The client_id is missing, repeated or not registered with this identity provider.")
		return
	}
	redirectURI, ok := single(q, "redirect_uri")
	if !ok || !slices.Contains(p.redirectURIs, redirectURI) {
		p.refusePage(w, http.StatusBadRequest, "The redirect_uri is missing, repeated or not registered for this client.")
		return
	}
	state, _ := single(q, "state")
	fail := func(code, desc string) {
		p.log.Info("devidp: authorization request refused", "client_id", clientID, "error", code, "reason", desc)
		p.redirect(w, r, http.StatusFound, redirectURI, url.Values{
			"error": {code}, "error_description": {desc}, "state": {state},
		})
	}
	for _, k := range []string{"response_type", "response_mode", "scope", "state", "nonce",
		"code_challenge", "code_challenge_method", "prompt", "login_hint"} {
		if len(q[k]) > 1 {
			fail("invalid_request", k+" is repeated")
			return
		}
	}
	// OIDC Core section 6: the error names exist so that signed request
	// objects are not silently ignored.
	if q.Has("request") {
		fail("request_not_supported", "request objects are not supported")
		return
	}
	if q.Has("request_uri") {
		fail("request_uri_not_supported", "request_uri is not supported")
		return
	}
	req := authRequest{
		clientID:    clientID,
		redirectURI: redirectURI,
		scope:       q.Get("scope"),
		state:       state,
		nonce:       q.Get("nonce"),
		challenge:   q.Get("code_challenge"),
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
	case q.Has("response_mode") && q.Get("response_mode") != "query":
		fail("invalid_request", "response_mode must be query")
	case !slices.Contains(strings.Fields(req.scope), "openid"):
		fail("invalid_scope", "scope must include openid")
	case req.challenge == "":
		fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method S256")
	case q.Get("code_challenge_method") != "S256":
		// The method defaults to plain when absent, and plain sends the
		// verifier's secret through the browser.
		fail("invalid_request", "code_challenge_method must be S256")
	case !digestFormat.MatchString(req.challenge):
		fail("invalid_request", "code_challenge is not a base64url SHA-256 digest")
	case len(req.state) > maxParam || len(req.nonce) > maxParam:
		fail("invalid_request", "state or nonce is too long")
	case slices.Contains(strings.Fields(q.Get("prompt")), "none"):
		// There is never a session to reuse: every sign-in is typed in.
		fail("login_required", "this identity provider always shows its login form")
	default:
		p.startLogin(w, r, req, q.Get("login_hint"))
	}
}

// startLogin parks the request server-side and shows the form, which only
// carries the parked request's id and the CSRF token.
func (p *Provider) startLogin(w http.ResponseWriter, r *http.Request, req authRequest, loginHint string) {
	// The CSRF token doubles as a cookie, which binds the form post to the
	// browser that fetched the form. An existing cookie is reused so that
	// two sign-ins in two tabs do not invalidate each other.
	var csrf string
	if c, err := r.Cookie(csrfCookie); err == nil && digestFormat.MatchString(c.Value) {
		csrf = c.Value
	} else {
		csrf = randomToken()
	}
	id := randomToken()
	now := p.now()
	p.mu.Lock()
	p.pruneLocked(now)
	full := len(p.pending) >= maxEntries
	if !full {
		p.pending[id] = &pendingAuth{req: req, csrf: csrf, expires: now.Add(pendingTTL)}
	}
	p.mu.Unlock()
	if full {
		p.refusePage(w, http.StatusServiceUnavailable, "Too many sign-ins in progress; try again in a few minutes.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     csrfCookie,
		Value:    csrf,
		Path:     p.authorizePath,
		MaxAge:   int(pendingTTL.Seconds()),
		HttpOnly: true,
		Secure:   p.secureCookie,
		// Lax, not Strict: the browser arrives here by a cross-site
		// navigation and must bring an existing cookie along for reuse.
		SameSite: http.SameSiteLaxMode,
	})
	if len(loginHint) > maxEmail {
		loginHint = ""
	}
	p.renderLogin(w, http.StatusOK, loginPage{
		Pending: id, CSRF: csrf, req: req, Email: loginHint,
	})
}

// serveLoginSubmit handles the login form: it checks the CSRF binding and
// the typed-in identity, then sends the browser back with a code.
func (p *Provider) serveLoginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		status, msg := http.StatusBadRequest, "The sign-in form could not be read."
		if isTooLarge(err) {
			status, msg = http.StatusRequestEntityTooLarge, "The sign-in form is too large."
		}
		p.refusePage(w, status, msg)
		return
	}
	form := r.PostForm
	id := form.Get("pending")
	now := p.now()
	p.mu.Lock()
	pa := p.pending[id]
	if pa != nil && !now.Before(pa.expires) {
		delete(p.pending, id)
		pa = nil
	}
	p.mu.Unlock()
	if pa == nil {
		p.refusePage(w, http.StatusBadRequest, "This sign-in request is unknown or has expired. Start again from the application.")
		return
	}
	cookie, err := r.Cookie(csrfCookie)
	if err != nil || !equalSecret(cookie.Value, pa.csrf) || !equalSecret(form.Get("csrf"), pa.csrf) {
		p.log.Warn("devidp: login form failed the CSRF check", "client_id", pa.req.clientID)
		p.refusePage(w, http.StatusForbidden, "The sign-in form failed its CSRF check. Start again from the application.")
		return
	}

	cancel := form.Get("action") == "cancel"
	var u user
	if !cancel {
		var problem string
		u, problem = parseLogin(form.Get("name"), form.Get("email"), form.Get("groups"), now)
		if problem != "" {
			// The request stays parked so the person can correct the form.
			p.renderLogin(w, http.StatusBadRequest, loginPage{
				Pending: id, CSRF: pa.csrf, req: pa.req, Error: problem,
				Name: form.Get("name"), Email: form.Get("email"), Groups: form.Get("groups"),
			})
			return
		}
	}

	// Taken, not just read: a double-submitted form yields one code.
	p.mu.Lock()
	if p.pending[id] != pa {
		pa = nil
	}
	delete(p.pending, id)
	p.mu.Unlock()
	if pa == nil {
		p.refusePage(w, http.StatusBadRequest, "This sign-in request was already completed. Start again from the application.")
		return
	}
	if cancel {
		p.log.Info("devidp: sign-in cancelled", "client_id", pa.req.clientID)
		p.redirect(w, r, http.StatusSeeOther, pa.req.redirectURI, url.Values{
			"error": {"access_denied"}, "error_description": {"the user cancelled the sign-in"}, "state": {pa.req.state},
		})
		return
	}

	code := randomToken()
	p.mu.Lock()
	p.pruneLocked(now)
	full := len(p.codes) >= maxEntries
	if !full {
		p.codes[digest(code)] = &authCode{req: pa.req, user: u, expires: now.Add(codeTTL)}
	}
	p.mu.Unlock()
	if full {
		p.refusePage(w, http.StatusServiceUnavailable, "Too many sign-ins in progress; try again in a minute.")
		return
	}
	p.log.Info("devidp: signed in", "client_id", pa.req.clientID, "sub", u.sub, "email", u.email, "groups", u.groups)
	p.redirect(w, r, http.StatusSeeOther, pa.req.redirectURI, url.Values{
		"code": {code}, "state": {pa.req.state},
	})
}

// redirect sends an authorization response to a registered redirect URI,
// keeping the URI's own query (RFC 6749 section 3.1.2) and adding iss (RFC
// 9207).
func (p *Provider) redirect(w http.ResponseWriter, r *http.Request, status int, redirectURI string, params url.Values) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		// Registered URIs were parsed at New.
		p.refusePage(w, http.StatusInternalServerError, "The redirect_uri cannot be parsed.")
		return
	}
	q := u.Query()
	for k, vs := range params {
		if len(vs) == 1 && vs[0] == "" {
			continue // an absent state stays absent
		}
		q[k] = vs
	}
	q.Set("iss", p.issuer)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), status)
}
