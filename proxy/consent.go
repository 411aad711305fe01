package proxy

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// consent receives the consent form. The CSRF token binds the post to the
// page this browser was shown; Decide checks the request is this browser's.
func (s *Server) consent(c echo.Context) error {
	form, failed, err := s.readBrowserForm(c)
	if failed {
		return err
	}
	st, b := s.browser(c)
	requestID := form.Get("request")
	if requestID == "" || !s.cookies.checkCSRF(form.Get("csrf"), requestID, st.BrowserID) {
		return s.renderError(c, http.StatusForbidden, "Request not accepted",
			"This form was not sent from the page mcpgate showed you. Start again from your application.")
	}
	var approve bool
	switch form.Get("decision") {
	case "approve":
		approve = true
	case "deny":
	default:
		return s.renderError(c, http.StatusBadRequest, "Invalid request", "Choose Allow or Deny.")
	}
	out, err := s.as.Decide(c.Request().Context(), requestID, approve, b)
	if err != nil {
		return s.pageFailure(c, err)
	}
	return s.follow(c, out, b.ID)
}
