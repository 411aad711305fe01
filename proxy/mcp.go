package proxy

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// mcp is the protected MCP endpoint. Forwarding to the backend comes with
// the forwarder; until it is wired every authorized request is answered
// 502 so that a misconfiguration is never mistaken for success.
func (s *Server) mcp(c echo.Context) error {
	if _, fail := s.verifyBearer(c.Request(), time.Now()); fail != nil {
		return s.challenge(c, fail)
	}
	return c.JSON(http.StatusBadGateway, map[string]any{
		"jsonrpc": "2.0",
		"id":      nil,
		"error":   map[string]any{"code": -32603, "message": "no MCP backend is configured"},
	})
}
