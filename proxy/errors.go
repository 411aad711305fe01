package proxy

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// writeOAuthError sends the RFC 6749 §5.2 JSON error.
func writeOAuthError(c echo.Context, e *oauth.Error) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	return c.JSON(e.HTTPStatus(), map[string]string{
		"error":             e.Code,
		"error_description": e.Description,
	})
}

// apiError answers an error of a JSON endpoint (token, revoke, register):
// protocol errors as they are, store outages as 503, anything else as a
// fixed 500 with the cause only in the log.
func (s *Server) apiError(c echo.Context, err error) error {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		if oe.Code == oauth.ErrInvalidClient && c.Request().Header.Get("Authorization") != "" {
			c.Response().Header().Set("WWW-Authenticate", `Basic realm="mcpgate"`)
		}
		return writeOAuthError(c, oe)
	}
	if authserver.IsUnavailable(err) {
		s.log.ErrorContext(c.Request().Context(), "store unavailable", "route", c.Path(), "err", err)
		return writeOAuthError(c, &oauth.Error{Code: oauth.ErrTemporarilyUnavailable, Description: "the service is temporarily unavailable, retry shortly"})
	}
	s.log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "err", err)
	return writeOAuthError(c, &oauth.Error{Code: oauth.ErrServerError, Description: "internal error"})
}

// pageFailure answers an error of a browser endpoint with an HTML page.
func (s *Server) pageFailure(c echo.Context, err error) error {
	var pe *authserver.PageError
	if errors.As(err, &pe) {
		if wantsJSON(c.Request()) {
			// A program checking the request, not a person: mcp-remote
			// asks whether its cached registration still stands.
			code := pe.Code
			if code == "" {
				code = oauth.ErrInvalidRequest
			}
			return writeOAuthError(c, &oauth.Error{Code: code, Description: pe.Message, Status: pe.Status})
		}
		return s.renderError(c, pe.Status, pe.Title, pe.Message)
	}
	if authserver.IsUnavailable(err) {
		s.log.ErrorContext(c.Request().Context(), "store unavailable", "route", c.Path(), "err", err)
		return s.renderError(c, http.StatusServiceUnavailable, "Temporarily unavailable", "The sign-in service is temporarily unavailable. Try again in a moment.")
	}
	s.log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "err", err)
	return s.renderError(c, http.StatusInternalServerError, "Something went wrong", "The sign-in could not be completed. Try again from your application.")
}

// handleEchoError renders what echo itself refuses (unknown route, wrong
// method, oversized body) without echo's default texts.
func (s *Server) handleEchoError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
	} else {
		s.log.ErrorContext(c.Request().Context(), "unhandled error", "route", c.Path(), "err", err)
	}
	_ = c.JSON(status, map[string]string{"error": http.StatusText(status)})
}

// wantsJSON reports whether a request to a browser endpoint asks for JSON
// and not HTML: a browser always accepts text/html.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
