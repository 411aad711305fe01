package proxy

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// readForm parses an application/x-www-form-urlencoded body, refusing
// other content types, oversized bodies and repeated parameters.
func readForm(c echo.Context, single ...string) (url.Values, *oauth.Error) {
	r := c.Request()
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	// boundBody has limited the body in size and time.
	if err := r.ParseForm(); err != nil {
		return nil, oauthBodyError(bodyError(err))
	}
	form := r.PostForm
	if dup := duplicated(form, single...); dup != "" {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "the parameter "+dup+" was sent more than once")
	}
	return form, nil
}

// clientCredentials reads RFC 6749 §2.3.1 credentials from the Basic
// header or the body; using both at once is an error.
func clientCredentials(r *http.Request, form url.Values) (authserver.ClientCredentials, *oauth.Error) {
	h, single := authorizationHeader(r)
	if !single {
		return authserver.ClientCredentials{}, oauth.NewError(oauth.ErrInvalidRequest, "send one Authorization header")
	}
	if h != "" {
		scheme, b64, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return authserver.ClientCredentials{}, &oauth.Error{Code: oauth.ErrInvalidClient, Description: "unsupported authorization scheme"}
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		id, secret, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok {
			return authserver.ClientCredentials{}, &oauth.Error{Code: oauth.ErrInvalidClient, Description: "malformed basic credentials"}
		}
		// The values are form-encoded before base64 (§2.3.1).
		if id, err = url.QueryUnescape(id); err != nil {
			return authserver.ClientCredentials{}, &oauth.Error{Code: oauth.ErrInvalidClient, Description: "malformed basic credentials"}
		}
		if secret, err = url.QueryUnescape(secret); err != nil {
			return authserver.ClientCredentials{}, &oauth.Error{Code: oauth.ErrInvalidClient, Description: "malformed basic credentials"}
		}
		if form.Get("client_secret") != "" || (form.Get("client_id") != "" && form.Get("client_id") != id) {
			return authserver.ClientCredentials{}, oauth.NewError(oauth.ErrInvalidRequest, "use one client authentication method")
		}
		return authserver.ClientCredentials{ID: id, Secret: secret, Method: oauth.AuthSecretBasic}, nil
	}
	if assertion := form.Get("client_assertion"); assertion != "" || form.Get("client_assertion_type") != "" {
		if form.Get("client_assertion_type") != oauth.AssertionTypeJWTBearer || assertion == "" {
			return authserver.ClientCredentials{}, &oauth.Error{Code: oauth.ErrInvalidClient, Description: "unsupported client assertion"}
		}
		if form.Get("client_secret") != "" {
			return authserver.ClientCredentials{}, oauth.NewError(oauth.ErrInvalidRequest, "use one client authentication method")
		}
		id := form.Get("client_id")
		if id == "" {
			// RFC 7523 §3: client_id may be left out; the assertion's
			// issuer names the client (verified against that client's keys).
			id = unverifiedIssuer(assertion)
		}
		return authserver.ClientCredentials{ID: id, Assertion: assertion, Method: oauth.AuthPrivateKeyJWT}, nil
	}
	cred := authserver.ClientCredentials{ID: form.Get("client_id"), Secret: form.Get("client_secret"), Method: oauth.AuthNone}
	if cred.Secret != "" {
		cred.Method = oauth.AuthSecretPost
	}
	return cred, nil
}

// unverifiedIssuer reads iss from a JWT without checking it: it only says
// which client's keys to check the signature with.
func unverifiedIssuer(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	return c.Issuer
}

// authenticatedForm reads the form of a token or revocation request and
// authenticates the client that sent it; on failure the error answer has
// been written and done is true.
func (s *Server) authenticatedForm(c echo.Context, single ...string) (form url.Values, client store.Client, done bool, err error) {
	form, oe := readForm(c, append(single, "client_id", "client_secret", "client_assertion", "client_assertion_type")...)
	if oe != nil {
		return nil, client, true, writeOAuthError(c, oe)
	}
	cred, oe := clientCredentials(c.Request(), form)
	if oe != nil {
		return nil, client, true, s.apiError(c, oe)
	}
	client, err = s.as.AuthenticateClient(c.Request().Context(), cred)
	if err != nil {
		return nil, client, true, s.apiError(c, err)
	}
	return form, client, false, nil
}

// tooManyTokens answers a token request over a limit: 429 with
// Retry-After and an OAuth error.
func tooManyTokens(c echo.Context, retry time.Duration, who string) error {
	setRetryAfter(c, retry)
	return writeOAuthError(c, &oauth.Error{Code: oauth.ErrTemporarilyUnavailable,
		Description: "too many token requests from this " + who + "; try again later", Status: http.StatusTooManyRequests})
}

func (s *Server) token(c echo.Context) error {
	// Counted before the client authenticates: guessing secrets costs too.
	r := c.Request()
	if ok, retry := s.tokenAddrs.allow(r.Context(), s.rateKey(r), time.Now()); !ok {
		return tooManyTokens(c, retry, "address")
	}
	form, client, done, err := s.authenticatedForm(c, "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "assertion")
	if done {
		return err
	}
	if ok, retry := s.tokenClients.allow(r.Context(), client.ID, time.Now()); !ok {
		s.metrics.Token(form.Get("grant_type"), "rate_limited")
		return tooManyTokens(c, retry, "client")
	}
	jkt, done, err := s.tokenProof(c)
	if done {
		s.metrics.Token(form.Get("grant_type"), "invalid_dpop_proof")
		return err
	}
	resp, err := s.as.Token(c.Request().Context(), client, authserver.TokenRequest{
		DPoPJKT:      jkt,
		GrantType:    form.Get("grant_type"),
		Code:         form.Get("code"),
		RedirectURI:  form.Get("redirect_uri"),
		CodeVerifier: form.Get("code_verifier"),
		RefreshToken: form.Get("refresh_token"),
		Scope:        form.Get("scope"),
		Resources:    form["resource"],
		Assertion:    form.Get("assertion"),
	})
	if err != nil {
		outcome := "server_error"
		if oe := (*oauth.Error)(nil); errors.As(err, &oe) {
			outcome = oe.Code // a fixed set of codes
		}
		s.metrics.Token(form.Get("grant_type"), outcome)
		return s.apiError(c, err)
	}
	s.metrics.Token(form.Get("grant_type"), "issued")
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, resp)
}

// revoke serves RFC 7009.
func (s *Server) revoke(c echo.Context) error {
	form, client, done, err := s.authenticatedForm(c, "token", "token_type_hint")
	if done {
		return err
	}
	if err := s.as.Revoke(c.Request().Context(), client, form.Get("token"), s.keys); err != nil {
		return s.apiError(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.NoContent(http.StatusOK)
}

// backChannelLogout receives the IdP's logout tokens (OpenID Connect
// Back-Channel Logout 1.0 §2.5): a form POST from the IdP's server, not a
// browser, answered 200 with no body, or 400 with an OAuth error.
// Each IdP posts to a path of its own, whose IdP verifies the token.
func (s *Server) backChannelLogout(idp string) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, oerr := readForm(c, "logout_token")
		if oerr != nil {
			return writeOAuthError(c, oerr)
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		if _, err := s.as.BackChannelLogout(c.Request().Context(), idp, form.Get("logout_token")); err != nil {
			return s.apiError(c, err)
		}
		return c.NoContent(http.StatusOK)
	}
}
