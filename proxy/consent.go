package proxy

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
)

// readFlowForm reads the form of a page of a pending flow (consent, the
// chooser): the flow's request id, whose CSRF token binds the post to the
// page this browser was shown. done means the answer has been sent.
func (s *Server) readFlowForm(c echo.Context) (form url.Values, requestID string, b authserver.Browser, done bool, err error) {
	form, failed, err := s.readBrowserForm(c)
	if failed {
		return nil, "", b, true, err
	}
	st, b := s.browser(c)
	requestID = form.Get("request")
	if requestID == "" || !s.cookies.checkCSRF(form.Get("csrf"), requestID, st.BrowserID) {
		return nil, "", b, true, s.renderError(c, http.StatusForbidden, "Request not accepted",
			"This form was not sent from the page mcpgate showed you. Start again from your application.")
	}
	return form, requestID, b, false, nil
}

// chooseIdP receives the sign-in chooser's form: a button naming an IdP,
// or an email whose domain finds one. CSRF and browser checks as for
// consent.
func (s *Server) chooseIdP(c echo.Context) error {
	form, requestID, b, done, err := s.readFlowForm(c)
	if done {
		return err
	}
	out, err := s.as.ChooseIdP(c.Request().Context(), requestID, form.Get("idp"), form.Get("email"), b)
	if err != nil {
		return s.pageFailure(c, err)
	}
	return s.follow(c, out, b.ID)
}

// consent receives the consent form. The CSRF token binds the post to the
// page this browser was shown; Decide checks the request is this browser's.
func (s *Server) consent(c echo.Context) error {
	form, requestID, b, done, err := s.readFlowForm(c)
	if done {
		return err
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
