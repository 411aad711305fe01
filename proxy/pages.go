package proxy

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

//go:embed pages/*.html
var pageFiles embed.FS

// Branding is the organisation the pages are of (config pages.*).
type Branding struct {
	Name string
	// Logo is an image served at logoPath, and LogoType its content type.
	Logo     []byte
	LogoType string
}

// HasLogo tells the layout to show the logo.
func (b Branding) HasLogo() bool { return len(b.Logo) > 0 }

const logoPath = "/assets/logo"

// pageTemplates are parsed once; each Server clones them with its
// branding as the org function.
var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{"org": func() Branding { return Branding{} }}).
	ParseFS(pageFiles, "pages/*.html"))

func brandedPages(b Branding) *template.Template {
	return template.Must(pageTemplates.Clone()).Funcs(template.FuncMap{"org": func() Branding { return b }})
}

// pageCSP forbids framing (clickjacking of the consent buttons) and every
// script, and images from anywhere but mcpgate (the organisation's logo):
// a client's logo_uri is not shown, since loading it would tell the
// client's host who opened the page, and a client picks its own logo. No
// form-action: browsers apply it to the redirects after the form post,
// which go to the IdP and the client.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// logo serves the organisation's logo; an SVG one cannot run scripts.
func (s *Server) logo(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, s.branding.LogoType, s.branding.Logo)
}

func (s *Server) renderPage(c echo.Context, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.ErrorContext(c.Request().Context(), "render page", "page", name, "err", err)
		return c.String(http.StatusInternalServerError, "internal error")
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

func (s *Server) renderError(c echo.Context, status int, title, message string) error {
	return s.renderPage(c, status, "error.html", struct{ Title, Message string }{title, message})
}

type consentView struct {
	*authserver.ConsentPrompt
	CSRF string
}

type chooserView struct {
	*authserver.IdPChoice
	CSRF   string
	Action string
}

func (s *Server) renderChooser(c echo.Context, p *authserver.IdPChoice, browserID string) error {
	return s.renderPage(c, http.StatusOK, "choose.html", chooserView{
		IdPChoice: p,
		CSRF:      s.cookies.csrfToken(p.RequestID, browserID),
		Action:    oauth.ChooserPath,
	})
}

func (s *Server) renderConsent(c echo.Context, p *authserver.ConsentPrompt, browserID string) error {
	return s.renderPage(c, http.StatusOK, "consent.html", consentView{
		ConsentPrompt: p,
		CSRF:          s.cookies.csrfToken(p.RequestID, browserID),
	})
}
