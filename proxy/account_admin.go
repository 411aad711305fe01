package proxy

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
)

// The administrators' view: every user's connected clients and personal
// access tokens, each revocable; nothing else.
const (
	accountAdminPath   = authserver.AccountPath + "/admin"
	accountAdminRevoke = authserver.AccountPath + "/admin/revoke"
)

type adminView struct {
	CSRF      string
	User      string
	Users     []adminUserView
	Truncated bool
	Revoke    string
}

type adminUserView struct {
	Subject, Email string
	Clients        []clientView
	Tokens         []tokenView
}

func (s *Server) accountAdmin(c echo.Context) error {
	st, b := s.browser(c)
	ctx := c.Request().Context()
	id := s.as.AccountIdentity(ctx, b)
	if id == nil {
		return s.renderPage(c, http.StatusOK, "account_signin.html", struct{ SignIn string }{accountSignInPath})
	}
	users, truncated, err := s.as.AllAccess(ctx, *id)
	if err != nil {
		return s.pageFailure(c, err)
	}
	v := adminView{CSRF: s.cookies.csrfToken(accountCSRFScope(id), st.BrowserID), User: displayName(id), Truncated: truncated, Revoke: accountAdminRevoke}
	for _, u := range users {
		uv := adminUserView{Subject: u.Subject, Email: u.Email}
		for _, cl := range u.Clients {
			uv.Clients = append(uv.Clients, clientView{ID: cl.ClientID, Name: cl.Name, Provenance: cl.Provenance,
				FirstUsed: day(cl.FirstUsed), LastUsed: day(cl.LastUsed), Scopes: joinComma(cl.Scopes), Servers: s.serverLabels(cl.Resources)})
		}
		for _, t := range u.Tokens {
			uv.Tokens = append(uv.Tokens, tokenView{ID: t.ID, Name: t.Name, Created: day(t.CreatedAt), LastUsed: day(t.LastUsedAt),
				Expires: expiryLabel(t.ExpiresAt), Scopes: joinComma(t.Scopes), Servers: s.serverLabels(t.Resources)})
		}
		v.Users = append(v.Users, uv)
	}
	return s.renderPage(c, http.StatusOK, "account_admin.html", v)
}

func (s *Server) accountAdminRevoke(c echo.Context) error {
	form, _, id, done, err := s.accountForm(c)
	if done {
		return err
	}
	ctx := c.Request().Context()
	subject := form.Get("subject")
	switch form.Get("kind") {
	case "client":
		err = s.as.AdminRevokeClient(ctx, *id, subject, form.Get("id"))
	case "token":
		err = s.as.AdminRevokeToken(ctx, *id, subject, form.Get("id"))
	default:
		return s.renderError(c, http.StatusBadRequest, "Invalid request", "Choose what to revoke on the page.")
	}
	if err != nil {
		return s.pageFailure(c, err)
	}
	return c.Redirect(http.StatusSeeOther, accountAdminPath)
}
