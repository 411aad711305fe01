package devidp

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	maxEmail   = 254 // RFC 5321's path limit, in octets
	maxName    = 200
	maxGroup   = 100
	maxGroups  = 20
	bannerText = "Development identity provider — anyone can sign in as anyone. Never use in production."
	pageTitle  = "mcpgate development sign-in"
)

// The markup of hidden inputs, the form tag and the error paragraph is
// matched by SubmitLogin's regular expressions (client.go): change both
// together.
var pages = template.Must(template.New("layout").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f6;color:#111}
.banner{background:#b00020;color:#fff;font-size:1.4em;font-weight:bold;padding:1em;text-align:center}
main{max-width:32em;margin:2em auto;background:#fff;padding:1.5em 2em;border-radius:6px}
label{display:block;margin:1em 0 .3em;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5em;font-size:1em}
.hint{color:#555;font-size:.9em}
.error{background:#fde7e9;border-left:4px solid #b00020;padding:.6em}
.actions{margin-top:1.5em;display:flex;gap:1em}
button{padding:.6em 1.4em;font-size:1em}
code{word-break:break-all}
</style>
</head>
<body>
<div class="banner" role="alert">{{.Banner}}</div>
<main>
{{if .Form}}{{template "form" .Form}}{{else}}<h1>Sign-in request refused</h1>
<p class="error" role="alert">{{.Message}}</p>{{end}}
</main>
</body>
</html>
{{define "form"}}<h1>Sign in</h1>
<p>Signing in to <code>{{.ClientID}}</code>, which will receive the identity below at <code>{{.RedirectURI}}</code>.</p>
<p class="hint">Scopes requested: <code>{{.Scope}}</code></p>
{{with .Error}}<p class="error" role="alert">{{.}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="pending" value="{{.Pending}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="email">Email</label>
<input id="email" name="email" type="email" value="{{.Email}}" maxlength="254" required autofocus autocomplete="email">
<label for="name">Name</label>
<input id="name" name="name" value="{{.Name}}" maxlength="200" autocomplete="name">
<label for="groups">Groups <span class="hint">(comma-separated, optional)</span></label>
<input id="groups" name="groups" value="{{.Groups}}" placeholder="engineering, admins">
<div class="actions">
<button type="submit" name="action" value="signin">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</div>
</form>
<p class="hint">The same email always gets the same subject.</p>{{end}}`))

// loginPage is the form's data. Name, Email and Groups echo what was typed
// so that a rejected form need not be retyped.
type loginPage struct {
	Pending, CSRF, Error  string
	Name, Email, Groups   string
	Action                string
	ClientID, RedirectURI string
	Scope                 string
	req                   authRequest
}

type layout struct {
	Title, Banner, Message string
	Form                   *loginPage
}

func (p *Provider) renderLogin(w http.ResponseWriter, status int, page loginPage) {
	page.Action = p.authorizePath
	page.ClientID, page.RedirectURI, page.Scope = page.req.clientID, page.req.redirectURI, page.req.scope
	p.render(w, status, layout{Form: &page})
}

// refusePage answers a browser request that cannot be redirected back to
// the client.
func (p *Provider) refusePage(w http.ResponseWriter, status int, msg string) {
	if status >= 500 {
		p.log.Error("devidp: request failed", "reason", msg)
	} else {
		p.log.Info("devidp: request refused", "status", status, "reason", msg)
	}
	p.render(w, status, layout{Message: msg})
}

func (p *Provider) render(w http.ResponseWriter, status int, l layout) {
	l.Title, l.Banner = pageTitle, bannerText
	var buf bytes.Buffer
	if err := pages.Execute(&buf, l); err != nil {
		p.log.Error("devidp: render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The form holds the CSRF token and the pending request id.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// parseLogin checks what was typed in and returns the user, or a message
// for the person at the form.
func parseLogin(name, email, groups string, now time.Time) (user, string) {
	email = strings.TrimSpace(email)
	name = strings.TrimSpace(name)
	at := strings.LastIndexByte(email, '@')
	switch {
	case email == "":
		return user{}, "Enter an email address."
	case len(email) > maxEmail:
		return user{}, "The email address is longer than 254 characters."
	case at <= 0 || at == len(email)-1 || !printable(email) || strings.ContainsFunc(email, unicode.IsSpace):
		return user{}, "Enter an email address like ada@example.com."
	case utf8.RuneCountInString(name) > maxName:
		return user{}, "The name is longer than 200 characters."
	case !printable(name):
		return user{}, "The name contains control characters."
	}
	var gs []string
	for g := range strings.SplitSeq(groups, ",") {
		g = strings.TrimSpace(g)
		switch {
		case g == "" || slices.Contains(gs, g):
			continue
		case utf8.RuneCountInString(g) > maxGroup:
			return user{}, "Each group name must be at most 100 characters."
		case !printable(g):
			return user{}, "A group name contains control characters."
		}
		gs = append(gs, g)
	}
	if len(gs) > maxGroups {
		return user{}, "Enter at most 20 groups."
	}
	if gs == nil {
		gs = []string{} // a JSON array, never null
	}
	return user{sub: subject(email), email: email, name: name, groups: gs, authTime: now}, ""
}

// subject derives sub from the email so that signing in twice as the same
// person yields the same account downstream, while the sub itself does not
// disclose the address. Case-folded because mail providers treat addresses
// that way in practice.
func subject(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return "dev-" + base64.RawURLEncoding.EncodeToString(sum[:])[:16]
}

func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}
