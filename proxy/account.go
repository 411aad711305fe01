package proxy

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// The account page's paths. Everything that changes state is a POST with
// the page's CSRF token.
const (
	accountSignInPath  = authserver.AccountPath + "/signin"
	accountSignOutPath = authserver.AccountPath + "/signout"
	accountTokensPath  = authserver.AccountPath + "/tokens"
	accountRevokePath  = authserver.AccountPath + "/tokens/revoke"
	accountClientsPath = authserver.AccountPath + "/clients/revoke"
)

func isAccountRoute(route string) bool {
	switch route {
	case authserver.AccountPath, accountSignInPath, accountSignOutPath, accountTokensPath, accountRevokePath, accountClientsPath,
		accountAdminPath, accountAdminRevoke:
		return true
	}
	return false
}

type accountView struct {
	CSRF      string
	User      string
	Refused   string
	Tokens    []tokenView
	Clients   []clientView
	Lifetimes []lifetimeView
	Servers   []serverView
	Scopes    []string
	// NewToken is the token just made, shown this once.
	NewToken     string
	NewTokenName string
	Problem      string
	// Admin links the administrators' view.
	Admin bool
	Paths map[string]string
}

type tokenView struct {
	ID, Name, Created, LastUsed, Expires string
	Scopes, Servers                      string
}

type clientView struct {
	ID, Name, Provenance, FirstUsed, LastUsed, Scopes, Servers string
}

type lifetimeView struct {
	Value, Label string
}

type serverView struct {
	Resource, Label string
}

var accountPaths = map[string]string{"signout": accountSignOutPath, "tokens": accountTokensPath, "revoke": accountRevokePath,
	"clients": accountClientsPath}

// accountPage shows the signed-in user their personal access tokens, or
// the way to sign in.
func (s *Server) accountPage(c echo.Context) error {
	st, b := s.browser(c)
	id := s.as.AccountIdentity(c.Request().Context(), b)
	if id == nil {
		return s.renderPage(c, http.StatusOK, "account_signin.html", struct{ SignIn string }{accountSignInPath})
	}
	return s.renderAccount(c, http.StatusOK, st, id, accountView{})
}

func (s *Server) renderAccount(c echo.Context, status int, st browserState, id *store.Identity, v accountView) error {
	ctx := c.Request().Context()
	v.CSRF = s.cookies.csrfToken(accountCSRFScope(id), st.BrowserID)
	v.User, v.Paths, v.Admin = displayName(id), accountPaths, s.as.IsAdmin(*id)
	refused, lifetimes, scopes := s.as.PersonalTokenOffer(*id)
	v.Refused, v.Scopes = refused, scopes
	for _, d := range lifetimes {
		v.Lifetimes = append(v.Lifetimes, lifetimeView{Value: strconv.FormatInt(int64(d/time.Hour), 10), Label: lifetimeLabel(d)})
	}
	for _, rt := range s.routes {
		label := rt.Path
		if rt.Name != "" {
			label = rt.Name + " (" + rt.Path + ")"
		}
		v.Servers = append(v.Servers, serverView{Resource: rt.Resource, Label: label})
	}
	clients, err := s.as.ConnectedClients(ctx, id.Subject)
	if err != nil {
		return s.pageFailure(c, err)
	}
	for _, cl := range clients {
		v.Clients = append(v.Clients, clientView{ID: cl.ClientID, Name: cl.Name, Provenance: cl.Provenance, FirstUsed: day(cl.FirstUsed),
			LastUsed: day(cl.LastUsed), Scopes: joinComma(cl.Scopes), Servers: s.serverLabels(cl.Resources)})
	}
	tokens, err := s.as.PersonalTokensOf(ctx, id.Subject)
	if err != nil {
		return s.pageFailure(c, err)
	}
	for _, t := range tokens {
		v.Tokens = append(v.Tokens, tokenView{ID: t.ID, Name: t.Name, Created: day(t.CreatedAt), LastUsed: day(t.LastUsedAt),
			Expires: expiryLabel(t.ExpiresAt), Scopes: joinComma(t.Scopes), Servers: s.serverLabels(t.Resources)})
	}
	return s.renderPage(c, status, "account.html", v)
}

// accountCSRFScope binds the page's forms to its user: a form from a
// session since signed out, or of another user, is refused.
func accountCSRFScope(id *store.Identity) string { return "account:" + id.Subject }

// accountForm reads a POST of the account page: the form and the signed-in
// user, once the CSRF token is checked. done means the answer is sent.
func (s *Server) accountForm(c echo.Context) (form url.Values, st browserState, id *store.Identity, done bool, err error) {
	f, failed, err := s.readBrowserForm(c)
	if failed {
		return nil, st, nil, true, err
	}
	st, b := s.browser(c)
	id = s.as.AccountIdentity(c.Request().Context(), b)
	if id == nil {
		return nil, st, nil, true, s.renderError(c, http.StatusForbidden, "Signed out",
			"Your session has ended. Open the account page and sign in again.")
	}
	if !s.cookies.checkCSRF(f.Get("csrf"), accountCSRFScope(id), st.BrowserID) {
		return nil, st, nil, true, s.renderError(c, http.StatusForbidden, "Request not accepted",
			"This form was not sent from the page mcpgate showed you. Open the account page again.")
	}
	return f, st, id, false, nil
}

func (s *Server) accountSignIn(c echo.Context) error {
	if limited, err := s.limitSignIns(c); limited {
		return err
	}
	_, b := s.browser(c)
	out, err := s.as.StartAccountSignIn(c.Request().Context(), b)
	if err != nil {
		return s.pageFailure(c, err)
	}
	return s.follow(c, out, b.ID)
}

func (s *Server) accountSignOut(c echo.Context) error {
	_, st, _, done, err := s.accountForm(c)
	if done {
		return err
	}
	s.cookies.write(c.Response(), browserState{BrowserID: st.BrowserID})
	return c.Redirect(http.StatusSeeOther, authserver.AccountPath)
}

func (s *Server) accountCreateToken(c echo.Context) error {
	form, st, id, done, err := s.accountForm(c)
	if done {
		return err
	}
	_, b := s.browser(c)
	hours, perr := strconv.ParseInt(form.Get("lifetime"), 10, 64)
	if perr != nil || hours < 0 || hours > 1<<20 {
		hours = -1 // not offered: refused below
	}
	req := authserver.PersonalTokenRequest{Name: form.Get("name"), Lifetime: time.Duration(hours) * time.Hour, Resources: form["server"],
		Scopes: form["scope"], ScopesChosen: form.Get("scopes_offered") != ""}
	token, rec, err := s.as.CreatePersonalToken(c.Request().Context(), *id, b.AuthTime, req)
	var pe *authserver.PageError
	switch {
	case errors.As(err, &pe):
		return s.renderAccount(c, pe.Status, st, id, accountView{Problem: pe.Message})
	case err != nil:
		return s.pageFailure(c, err)
	}
	return s.renderAccount(c, http.StatusOK, st, id, accountView{NewToken: token, NewTokenName: rec.Name})
}

func (s *Server) accountRevokeClient(c echo.Context) error {
	form, _, id, done, err := s.accountForm(c)
	if done {
		return err
	}
	if err := s.as.RevokeClient(c.Request().Context(), id.Subject, form.Get("client"), id.Subject); err != nil {
		return s.pageFailure(c, err)
	}
	return c.Redirect(http.StatusSeeOther, authserver.AccountPath)
}

func (s *Server) accountRevokeToken(c echo.Context) error {
	form, _, id, done, err := s.accountForm(c)
	if done {
		return err
	}
	if err := s.as.RevokePersonalToken(c.Request().Context(), id.Subject, form.Get("id"), id.Subject); err != nil {
		return s.pageFailure(c, err)
	}
	return c.Redirect(http.StatusSeeOther, authserver.AccountPath)
}
