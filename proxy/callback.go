package proxy

import (
	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
)

// callback is where the upstream IdP idp sends the browser back.
func (s *Server) callback(idp string) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, b := s.browser(c)
		q := c.QueryParams()
		out, err := s.as.Callback(c.Request().Context(), authserver.CallbackParams{
			IdP:              idp,
			State:            q.Get("state"),
			Code:             q.Get("code"),
			Iss:              q.Get("iss"),
			Error:            q.Get("error"),
			ErrorDescription: q.Get("error_description"),
		}, b)
		if err != nil {
			return s.pageFailure(c, err)
		}
		return s.follow(c, out, b.ID)
	}
}
