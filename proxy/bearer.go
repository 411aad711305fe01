package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// bearerFailure is why a request to the MCP endpoint is refused.
type bearerFailure struct {
	// invalid is set when a token was sent but failed (RFC 6750 §3.1
	// error="invalid_token"); unset for a request with no token.
	invalid     bool
	description string
}

// verifyBearer checks the access token of an MCP request: mcpgate's
// signature and typ, issuer, audience = this resource, expiry. Tokens come
// only in the Authorization header (never the query string).
func (s *Server) verifyBearer(r *http.Request, now time.Time) (*oauth.AccessClaims, *bearerFailure) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, &bearerFailure{}
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, &bearerFailure{invalid: true, description: "the Authorization header must be Bearer <token>"}
	}
	payload, err := s.keys.Verify(strings.TrimSpace(token), oauth.AccessTokenType)
	if err != nil {
		return nil, &bearerFailure{invalid: true, description: "the access token is not valid"}
	}
	var c oauth.AccessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, &bearerFailure{invalid: true, description: "the access token is not valid"}
	}
	switch {
	case c.Issuer != s.issuer:
		return nil, &bearerFailure{invalid: true, description: "the access token was issued by another server"}
	case c.Audience != s.resource:
		return nil, &bearerFailure{invalid: true, description: "the access token is for another resource"}
	case c.Expiry == 0 || now.Unix() >= c.Expiry:
		return nil, &bearerFailure{invalid: true, description: "the access token has expired"}
	case c.Subject == "":
		return nil, &bearerFailure{invalid: true, description: "the access token is not valid"}
	}
	return &c, nil
}

// challenge answers 401 with the RFC 9728 pointer to the resource
// metadata, which is how MCP clients discover where to sign in.
func (s *Server) challenge(c echo.Context, f *bearerFailure) error {
	v := `Bearer resource_metadata="` + s.issuer + `/.well-known/oauth-protected-resource` + s.mcpPath +
		`", scope="` + strings.Join(s.as.Config().Scopes, " ") + `"`
	if f.invalid {
		v += `, error="invalid_token", error_description="` + f.description + `"`
	}
	h := c.Response().Header()
	h.Set("WWW-Authenticate", v)
	h.Set("Cache-Control", "no-store")
	return c.JSON(http.StatusUnauthorized, map[string]any{
		"jsonrpc": "2.0",
		"id":      nil,
		"error":   map[string]any{"code": -32001, "message": "Unauthorized: sign in to use this MCP server"},
	})
}
