package proxy

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// maxFormBytes bounds the body of the OAuth endpoints: their requests are
// a few hundred bytes; a client that sends more is not a client.
const maxFormBytes = 64 << 10

// readForm parses an application/x-www-form-urlencoded body, refusing
// other content types, oversized bodies and repeated parameters.
func readForm(c echo.Context, single ...string) (url.Values, *oauth.Error) {
	r := c.Request()
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "the body could not be parsed")
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
	if h := r.Header.Get("Authorization"); h != "" {
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
		return authserver.ClientCredentials{ID: id, Secret: secret, Method: authserver.AuthSecretBasic}, nil
	}
	cred := authserver.ClientCredentials{ID: form.Get("client_id"), Secret: form.Get("client_secret"), Method: authserver.AuthNone}
	if cred.Secret != "" {
		cred.Method = authserver.AuthSecretPost
	}
	return cred, nil
}

func (s *Server) token(c echo.Context) error {
	form, oe := readForm(c, "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id", "client_secret")
	if oe != nil {
		return writeOAuthError(c, oe)
	}
	cred, oe := clientCredentials(c.Request(), form)
	if oe != nil {
		return s.apiError(c, oe)
	}
	ctx := c.Request().Context()
	client, err := s.as.AuthenticateClient(ctx, cred)
	if err != nil {
		return s.apiError(c, err)
	}
	resp, err := s.as.Token(ctx, client, authserver.TokenRequest{
		GrantType:    form.Get("grant_type"),
		Code:         form.Get("code"),
		RedirectURI:  form.Get("redirect_uri"),
		CodeVerifier: form.Get("code_verifier"),
		RefreshToken: form.Get("refresh_token"),
		Scope:        form.Get("scope"),
		Resources:    form["resource"],
	})
	if err != nil {
		return s.apiError(c, err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, resp)
}

// revoke serves RFC 7009.
func (s *Server) revoke(c echo.Context) error {
	form, oe := readForm(c, "token", "token_type_hint", "client_id", "client_secret")
	if oe != nil {
		return writeOAuthError(c, oe)
	}
	cred, oe := clientCredentials(c.Request(), form)
	if oe != nil {
		return s.apiError(c, oe)
	}
	ctx := c.Request().Context()
	client, err := s.as.AuthenticateClient(ctx, cred)
	if err != nil {
		return s.apiError(c, err)
	}
	if err := s.as.Revoke(ctx, client, form.Get("token"), s.keys); err != nil {
		return s.apiError(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.NoContent(http.StatusOK)
}
