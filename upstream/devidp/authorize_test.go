package devidp_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream/devidp"
)

// TestAuthorizeRefusesBeforeRedirect covers requests whose client or
// redirect URI cannot be trusted: they get a page, never a redirect.
func TestAuthorizeRefusesBeforeRedirect(t *testing.T) {
	f := start(t)
	tests := []struct {
		name string
		mod  func(url.Values)
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "evil") }},
		{"missing client", func(q url.Values) { q.Del("client_id") }},
		{"unregistered redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }},
		{"redirect_uri prefix of a registered one", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:1/oauth/callback/x") }},
		{"missing redirect_uri", func(q url.Values) { q.Del("redirect_uri") }},
		{"repeated redirect_uri", func(q url.Values) { q["redirect_uri"] = []string{redirectURI, redirectURI} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.browser(t).Get(f.authorizeURL(oauth2.GenerateVerifier(), tc.mod))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status: got %d, want 400", resp.StatusCode)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("Location: got %q, want none", loc)
			}
			if !strings.Contains(string(body), "Sign-in request refused") || !strings.Contains(string(body), "Never use in production") {
				t.Errorf("body: got %.300s, want the refusal page with the banner", body)
			}
		})
	}
}

// TestAuthorizeRefusesWithRedirect covers bad requests from a known client:
// the error goes back to its redirect URI with state and iss.
func TestAuthorizeRefusesWithRedirect(t *testing.T) {
	f := start(t)
	tests := []struct {
		name      string
		mod       func(url.Values)
		wantError string
	}{
		{"missing PKCE", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request"},
		{"plain PKCE", func(q url.Values) {
			q.Set("code_challenge", strings.Repeat("a", 43))
			q.Set("code_challenge_method", "plain")
		}, "invalid_request"},
		{"PKCE method absent", func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"malformed challenge", func(q url.Values) { q.Set("code_challenge", "short") }, "invalid_request"},
		{"missing openid scope", func(q url.Values) { q.Set("scope", "email profile") }, "invalid_scope"},
		{"openid as a substring only", func(q url.Values) { q.Set("scope", "openidx") }, "invalid_scope"},
		{"token response type", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		{"fragment response mode", func(q url.Values) { q.Set("response_mode", "fragment") }, "invalid_request"},
		{"repeated nonce", func(q url.Values) { q["nonce"] = []string{"a", "b"} }, "invalid_request"},
		{"request object", func(q url.Values) { q.Set("request", "eyJ...") }, "request_not_supported"},
		{"prompt none", func(q url.Values) { q.Set("prompt", "none") }, "login_required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.browser(t).Get(f.authorizeURL(oauth2.GenerateVerifier(), tc.mod))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status: got %d, want 302", resp.StatusCode)
			}
			loc, err := resp.Location()
			if err != nil {
				t.Fatal(err)
			}
			q := loc.Query()
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
				t.Errorf("redirect: got %s, want %s", got, redirectURI)
			}
			if q.Get("error") != tc.wantError || q.Get("state") != "state-1" || q.Get("iss") != f.issuer || q.Has("code") {
				t.Errorf("redirect query: got %v, want error %s, state state-1, iss %s, no code", q, tc.wantError, f.issuer)
			}
		})
	}
}

func TestLoginPage(t *testing.T) {
	f := start(t)
	resp, err := f.browser(t).Get(f.authorizeURL(oauth2.GenerateVerifier(), func(q url.Values) {
		q.Set("login_hint", `"><script>alert(1)</script>`)
	}))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	tests := []struct {
		name string
		ok   bool
	}{
		{"status 200", resp.StatusCode == http.StatusOK},
		{"CSP", resp.Header.Get("Content-Security-Policy") == "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"},
		{"X-Frame-Options DENY", resp.Header.Get("X-Frame-Options") == "DENY"},
		{"no-store", resp.Header.Get("Cache-Control") == "no-store"},
		{"HttpOnly CSRF cookie", strings.Contains(resp.Header.Get("Set-Cookie"), "HttpOnly")},
		{"banner", strings.Contains(page, "Development identity provider — anyone can sign in as anyone. Never use in production.")},
		{"post form", strings.Contains(page, `<form method="post" action="/authorize">`)},
		{"fields", strings.Contains(page, `name="name"`) && strings.Contains(page, `name="email"`) && strings.Contains(page, `name="groups"`)},
		{"hidden pending and csrf", strings.Contains(page, `type="hidden" name="pending"`) && strings.Contains(page, `type="hidden" name="csrf"`)},
		{"login_hint escaped", !strings.Contains(page, "<script>") && strings.Contains(page, "&lt;script&gt;")},
		{"no state or challenge in the page", !strings.Contains(page, "state-1") && !strings.Contains(page, "nonce-1")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Errorf("got false, want true; headers %v, page:\n%s", resp.Header, page)
			}
		})
	}
}

var hidden = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// openForm fetches the login page and returns the browser and its hidden
// fields.
func (f *fixture) openForm(t *testing.T) (*http.Client, url.Values) {
	t.Helper()
	c := f.browser(t)
	resp, err := c.Get(f.authorizeURL(oauth2.GenerateVerifier(), nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	for _, m := range hidden.FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], m[2])
	}
	if form.Get("pending") == "" || form.Get("csrf") == "" {
		t.Fatalf("login page: got hidden fields %v, want pending and csrf", form)
	}
	return c, form
}

func TestLoginFormRefusals(t *testing.T) {
	f := start(t)
	tests := []struct {
		name       string
		mod        func(url.Values)
		noCookie   bool
		wantStatus int
		wantText   string
		wantForm   bool // the form is shown again for correction
	}{
		{name: "empty email", mod: func(v url.Values) { v.Set("email", "") }, wantStatus: 400, wantText: "Enter an email address.", wantForm: true},
		{name: "email without @", mod: func(v url.Values) { v.Set("email", "ada.example.com") }, wantStatus: 400, wantText: "like ada@example.com", wantForm: true},
		{name: "email ending in @", mod: func(v url.Values) { v.Set("email", "ada@") }, wantStatus: 400, wantText: "like ada@example.com", wantForm: true},
		{name: "email too long", mod: func(v url.Values) { v.Set("email", strings.Repeat("a", 250)+"@x.io") }, wantStatus: 400, wantText: "longer than 254", wantForm: true},
		{name: "name too long", mod: func(v url.Values) { v.Set("name", strings.Repeat("n", 201)) }, wantStatus: 400, wantText: "longer than 200", wantForm: true},
		{name: "group too long", mod: func(v url.Values) { v.Set("groups", "a, "+strings.Repeat("g", 101)) }, wantStatus: 400, wantText: "at most 100", wantForm: true},
		{name: "too many groups", mod: func(v url.Values) { v.Set("groups", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u") }, wantStatus: 400, wantText: "at most 20 groups", wantForm: true},
		{name: "CSRF token mismatch", mod: func(v url.Values) { v.Set("csrf", strings.Repeat("A", 43)) }, wantStatus: 403, wantText: "CSRF"},
		{name: "CSRF token missing", mod: func(v url.Values) { v.Del("csrf") }, wantStatus: 403, wantText: "CSRF"},
		{name: "CSRF cookie missing", noCookie: true, wantStatus: 403, wantText: "CSRF"},
		{name: "unknown pending request", mod: func(v url.Values) { v.Set("pending", "nope") }, wantStatus: 400, wantText: "unknown or has expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, form := f.openForm(t)
			form.Set("name", "Ada <b>")
			form.Set("email", "ada@example.com")
			form.Set("groups", "eng")
			if tc.mod != nil {
				tc.mod(form)
			}
			if tc.noCookie {
				c.Jar = nil
			}
			resp, err := c.PostForm(f.issuer+"/authorize", form)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			page := string(body)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("Location: got %q, want none", loc)
			}
			if !strings.Contains(page, tc.wantText) {
				t.Errorf("page: got %.2000s, want it to contain %q", page, tc.wantText)
			}
			if got := strings.Contains(page, `name="pending" value="`+form.Get("pending")+`"`); got != tc.wantForm {
				t.Errorf("form shown again: got %v, want %v", got, tc.wantForm)
			}
			if tc.wantForm && !strings.Contains(page, `value="`+html.EscapeString(form.Get("name"))+`"`) {
				t.Errorf("typed name: got page %.2000s, want the name kept, escaped", page)
			}
			if !tc.wantForm {
				return
			}
			// The request survives a rejected form: correcting it works.
			form.Set("email", "ada@example.com")
			form.Set("name", "Ada")
			form.Set("groups", "eng")
			resp, err = c.PostForm(f.issuer+"/authorize", form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" {
				t.Errorf("corrected form: got status %d, location %v, want 303 with a code", resp.StatusCode, loc)
			}
		})
	}
}

func TestLoginFormOnce(t *testing.T) {
	f := start(t)
	c, form := f.openForm(t)
	form.Set("email", "ada@example.com")
	tests := []struct {
		name       string
		wantStatus int
	}{
		{"first submit", http.StatusSeeOther},
		{"second submit of the same form", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.PostForm(f.issuer+"/authorize", form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tc.wantStatus)
			}
		})
	}
}

func TestLoginCancel(t *testing.T) {
	f := start(t)
	c, form := f.openForm(t)
	form.Set("action", "cancel")
	resp, err := c.PostForm(f.issuer+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("Location: got error %v, want a redirect", err)
	}
	if q := loc.Query(); q.Get("error") != "access_denied" || q.Get("state") != "state-1" || q.Has("code") {
		t.Errorf("cancel redirect: got %v, want error access_denied, state state-1, no code", q)
	}
}

func TestLoginExpiredRequest(t *testing.T) {
	f := start(t)
	c, form := f.openForm(t)
	form.Set("email", "ada@example.com")
	f.clock.Advance(11 * time.Minute)
	resp, err := c.PostForm(f.issuer+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status: got %d, want 400", resp.StatusCode)
	}
}

func TestSubmitLoginReportsRefusal(t *testing.T) {
	f := start(t)
	tests := []struct {
		name    string
		url     string
		email   string
		groups  []string
		wantErr string
	}{
		{"bad email", f.authorizeURL(oauth2.GenerateVerifier(), nil), "nobody", nil, "like ada@example.com"},
		{"unknown client", f.authorizeURL(oauth2.GenerateVerifier(), func(q url.Values) { q.Set("client_id", "x") }), "a@b.c", nil, "client_id"},
		{"group with a comma", f.authorizeURL(oauth2.GenerateVerifier(), nil), "a@b.c", []string{"a,b"}, "comma"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc, err := devidp.SubmitLogin(context.Background(), nil, tc.url, "", tc.email, tc.groups)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got %v, %v; want an error containing %q", loc, err, tc.wantErr)
			}
		})
	}
}
