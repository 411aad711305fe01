package proxy

import (
	"errors"
	"io"
	"net/http"
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
	// boundBodies has limited the body in size and time.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return writeOAuthError(c, oauthBodyError(bodyError(err)))
	}
	bearer := ""
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		bearer = strings.TrimSpace(tok)
	}
	if !s.registrations.allow(clientaddr.RateKey(clientaddr.Of(r, s.trustedProxies)), time.Now()) {
		c.Response().Header().Set("Retry-After", "3600")
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
