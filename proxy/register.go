package proxy

import (
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// register serves RFC 7591 dynamic client registration.
func (s *Server) register(c echo.Context) error {
	r := c.Request()
	if mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
		return writeOAuthError(c, oauth.NewError(oauth.ErrInvalidClientMetadata, "the body must be application/json"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, maxFormBytes))
	if err != nil {
		return writeOAuthError(c, oauth.NewError(oauth.ErrInvalidClientMetadata, "the body could not be read or is too large"))
	}
	resp, err := s.as.Register(r.Context(), body)
	if err != nil {
		return s.apiError(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, resp)
}
