package proxy

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/clientaddr"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// register serves RFC 7591 dynamic client registration.
func (s *Server) register(c echo.Context) error {
	r := c.Request()
	if mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
		return writeOAuthError(c, oauth.NewError(oauth.ErrInvalidClientMetadata, "the body must be application/json"))
	}
	// boundBody has limited the body in size and time.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return writeOAuthError(c, oauthBodyError(bodyError(err)))
	}
	authz, single := authorizationHeader(r)
	if !single {
		return writeOAuthError(c, oauth.NewError(oauth.ErrInvalidRequest, "send one Authorization header"))
	}
	bearer := ""
	if scheme, tok, ok := strings.Cut(authz, " "); ok && strings.EqualFold(scheme, "Bearer") {
		bearer = strings.TrimSpace(tok)
	}
	if ok, retry := s.registrations.allow(r.Context(), s.rateKey(r), time.Now()); !ok {
		setRetryAfter(c, retry)
		return writeOAuthError(c, &oauth.Error{Code: oauth.ErrTemporarilyUnavailable, Description: "too many registrations from this address; try again later", Status: http.StatusTooManyRequests})
	}
	resp, err := s.as.Register(r.Context(), body, bearer)
	if err != nil {
		var oe *oauth.Error
		if errors.As(err, &oe) && oe.Code == oauth.ErrInvalidToken {
			c.Response().Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		return s.apiError(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, resp)
}

// rateKey is what the per-address limits count: the client's address as
// trusted proxies report it, IPv6 grouped by /64.
func (s *Server) rateKey(r *http.Request) string {
	return clientaddr.RateKey(clientaddr.Of(r, s.trustedProxies))
}

// setRetryAfter tells the client when to try again, in whole seconds.
func setRetryAfter(c echo.Context, d time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(max(d.Round(time.Second), time.Second)/time.Second)))
}
