package proxy

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/accountapi"
	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/principal"
)

// The account's JSON API, for a user signed in with a CLI: their
// connected clients and personal access tokens, listed and revoked. It
// takes mcpgate's OAuth access tokens as bearer tokens, never cookies
// (so no CSRF), and only those of clients the operator configured (the
// CLI): not a third-party client's the user approved for an MCP server,
// nor a personal access token, since a leaked one must not manage the
// others.
// apiUser is the user of an API request, or nil when the answer (401) is
// sent.
func (s *Server) apiUser(c echo.Context) *principal.Principal {
	c.Response().Header().Set("Cache-Control", "no-store")
	v, fail := s.authenticate(c.Request().Context(), c.Request(), time.Now())
	if fail == nil && v.principal.Kind != principal.KindAccessToken {
		fail = &bearerFailure{invalid: true, description: "the account API takes an OAuth access token"}
	}
	if fail == nil && v.principal.GrantID == "" {
		fail = &bearerFailure{invalid: true, description: "a service account has no account"}
	}
	if fail == nil && !s.as.FirstPartyClient(v.principal.ClientID) {
		c.JSON(http.StatusForbidden, map[string]string{"error": "access_denied",
			"error_description": "the account API takes tokens of the clients configured on this server only"})
		return nil
	}
	if fail == nil {
		return v.principal
	}
	if fail.status != 0 {
		c.JSON(fail.status, map[string]string{"error": "server_error"})
		return nil
	}
	h := `Bearer realm="mcpgate"`
	if fail.malformed {
		c.Response().Header().Set("WWW-Authenticate", h+`, error="invalid_request"`)
		c.JSON(http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": fail.description})
		return nil
	}
	if fail.invalid {
		h += `, error="invalid_token", error_description="` + fail.description + `"`
	}
	c.Response().Header().Set("WWW-Authenticate", h)
	c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": fail.description})
	return nil
}

func (s *Server) apiListClients(c echo.Context) error {
	p := s.apiUser(c)
	if p == nil {
		return nil
	}
	clients, err := s.as.ConnectedClients(c.Request().Context(), p.Subject)
	if err != nil {
		return s.apiError(c, err)
	}
	out := []accountapi.Client{}
	for _, cl := range clients {
		out = append(out, accountapi.Client{ClientID: cl.ClientID, Name: cl.Name, Provenance: cl.Provenance, FirstUsed: cl.FirstUsed.UTC(),
			LastUsed: cl.LastUsed.UTC(), Scopes: cl.Scopes, Resources: cl.Resources})
	}
	return c.JSON(http.StatusOK, map[string]any{"clients": out})
}

func (s *Server) apiListTokens(c echo.Context) error {
	p := s.apiUser(c)
	if p == nil {
		return nil
	}
	tokens, err := s.as.PersonalTokensOf(c.Request().Context(), p.Subject)
	if err != nil {
		return s.apiError(c, err)
	}
	out := []accountapi.Token{}
	for _, t := range tokens {
		at := accountapi.Token{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt.UTC(), Scopes: t.Scopes, Resources: t.Resources}
		if !t.LastUsedAt.IsZero() {
			used := t.LastUsedAt.UTC()
			at.LastUsed = &used
		}
		if !authserver.NeverExpires(t.ExpiresAt) {
			exp := t.ExpiresAt.UTC()
			at.ExpiresAt = &exp
		}
		out = append(out, at)
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": out})
}

// apiRevoke revokes what the form or JSON body's field names, with
// revoke; 204 when done.
func (s *Server) apiRevoke(field string, revoke func(c echo.Context, subject, id string) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := s.apiUser(c)
		if p == nil {
			return nil
		}
		var body map[string]string
		if err := c.Bind(&body); err != nil || body[field] == "" {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": field + " is required"})
		}
		err := revoke(c, p.Subject, body[field])
		var pe *authserver.PageError
		switch {
		case errors.As(err, &pe) && pe.Status == http.StatusNotFound:
			return c.JSON(http.StatusNotFound, map[string]string{"error": "not_found", "error_description": pe.Message})
		case err != nil:
			return s.apiError(c, err)
		}
		return c.NoContent(http.StatusNoContent)
	}
}

func (s *Server) accountAPIRoutes(e *echo.Echo) {
	e.GET(accountapi.Clients, s.apiListClients)
	e.GET(accountapi.Tokens, s.apiListTokens)
	e.POST(accountapi.ClientRevoke, s.apiRevoke("client_id", func(c echo.Context, subject, id string) error {
		return s.as.RevokeClient(c.Request().Context(), subject, id, subject)
	}))
	e.POST(accountapi.TokenRevoke, s.apiRevoke("id", func(c echo.Context, subject, id string) error {
		return s.as.RevokePersonalToken(c.Request().Context(), subject, id, subject)
	}))
}
