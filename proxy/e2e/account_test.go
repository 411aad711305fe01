package e2e_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/pat"
	"github.com/mcpgate/mcpgate/proxy/store"
)

var newTokenField = regexp.MustCompile(`<code id="new-token">([^<]+)</code>`)

// accountSignIn signs browser b in on the account page through the
// gateway's IdP and returns the page.
func (g *gateway) accountSignIn(t *testing.T, b *browser) string {
	t.Helper()
	resp := b.get(g.URL + "/account")
	if page := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, `href="/account/signin"`) {
		t.Fatalf("account page, signed out: %d\n%s", resp.StatusCode, page)
	}
	resp = b.get(g.URL + "/account/signin")
	readBody(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("account sign-in: %d", resp.StatusCode)
	}
	cb, err := g.IdP.Login(context.Background(), b.client, resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("upstream login: %v", err)
	}
	if back := g.followCallback(t, b, cb.String()); back.String() != "/account" {
		t.Fatalf("after the sign-in: sent to %s, want /account", back)
	}
	resp = b.get(g.URL + "/account")
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Signed in as") {
		t.Fatalf("account page, signed in: %d\n%s", resp.StatusCode, page)
	}
	return page
}

// createToken posts the new-token form of page and returns the token
// shown.
func (g *gateway) createToken(t *testing.T, b *browser, page string, form url.Values) (string, string) {
	t.Helper()
	form.Set("csrf", csrfField.FindStringSubmatch(page)[1])
	resp := b.postForm(g.URL+"/account/tokens", form)
	body := readBody(t, resp)
	m := newTokenField.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("create token: %d\n%s", resp.StatusCode, body)
	}
	return m[1], body
}

// TestPersonalAccessTokens: a user signs in on the account page, makes a
// token (shown once, stored only as its hash), calls the MCP endpoint
// with it as themselves, and revokes it, after which it is refused; the
// audit log has its creation, use and revocation; a mistyped token is
// refused by its checksum.
func TestPersonalAccessTokens(t *testing.T) {
	dir := t.TempDir()
	db, auditPath := filepath.Join(dir, "mcpgate.db"), filepath.Join(dir, "audit.log")
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{store: "sqlite://" + db, mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL
		c.Audit.Path = auditPath
		c.Session.ReuseSignIn = false // the account page keeps its own identity
	}})
	b := newBrowser(t)
	page := g.accountSignIn(t, b)
	token, shown := g.createToken(t, b, page, url.Values{"name": {"nightly CI"}, "lifetime": {"720"}, "server": {g.resource()}})
	if !pat.Valid(token) || !strings.HasPrefix(token, "mcpgate_pat_") {
		t.Fatalf("got token %q, want an mcpgate_pat_ token with a valid checksum", token)
	}
	if !strings.Contains(shown, "not shown again") {
		t.Errorf("the page with the new token does not say it is shown once")
	}

	t.Run("shown once, stored as its hash only", func(t *testing.T) {
		resp := b.get(g.URL + "/account")
		again := readBody(t, resp)
		if strings.Contains(again, token) || !strings.Contains(again, "nightly CI") {
			t.Errorf("the account page after: token shown again %v, token listed %v", strings.Contains(again, token), strings.Contains(again, "nightly CI"))
		}
		list, err := g.App.Store.PersonalTokensOf(context.Background(), g.IdP.Issuer()+"#"+g.IdP.Subject)
		if err != nil || len(list) != 1 || list[0].Hash != oauth.Hash(token) {
			t.Fatalf("the store holds %+v (%v), want one token under its hash", list, err)
		}
		for _, f := range []string{db, db + "-wal"} {
			raw, err := os.ReadFile(f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if strings.Contains(string(raw), token) || strings.Contains(string(raw), token[len(pat.Prefix):]) {
				t.Errorf("%s holds the token in clear", f)
			}
		}
	})

	t.Run("the token calls the MCP endpoint as its user", func(t *testing.T) {
		if status := mcpStatus(t, g, token); status != http.StatusOK {
			t.Fatalf("MCP request with the token: %d", status)
		}
		if got, want := backend.last().Get("X-Forwarded-User"), g.IdP.Issuer()+"#"+g.IdP.Subject; got != want {
			t.Errorf("backend saw user %q, want %q", got, want)
		}
	})

	t.Run("a mistyped token is refused", func(t *testing.T) {
		typo := token[:len(token)-8] + strings.Map(func(r rune) rune { return r ^ 1 }, token[len(token)-8:len(token)-7]) + token[len(token)-7:]
		status, _ := g.postMCP(t, typo, `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
		if status != http.StatusUnauthorized {
			t.Errorf("mistyped token: %d, want 401", status)
		}
	})

	t.Run("revoked, it is refused", func(t *testing.T) {
		resp := b.get(g.URL + "/account")
		page := readBody(t, resp)
		id := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(page)
		if id == nil {
			t.Fatalf("no revoke button:\n%s", page)
		}
		resp = b.postForm(g.URL+"/account/tokens/revoke", url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "id": {id[1]}})
		readBody(t, resp)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if status := mcpStatus(t, g, token); status != http.StatusUnauthorized {
			t.Errorf("MCP request with the revoked token: %d, want 401", status)
		}
	})

	t.Run("a policy reloaded since binds tokens at their next read", func(t *testing.T) {
		b := newBrowser(t)
		fresh, _ := g.createToken(t, b, g.accountSignIn(t, b), url.Values{"name": {"later"}, "lifetime": {"168"}, "server": {g.resource()}})
		off := *g.cfg
		off.Policy.PersonalTokens.Enabled = false
		if err := g.App.ReloadPolicy(&off); err != nil {
			t.Fatal(err)
		}
		defer g.App.ReloadPolicy(g.cfg)
		if status := mcpStatus(t, g, fresh); status != http.StatusUnauthorized {
			t.Errorf("a token first read after personal tokens were turned off: %d, want 401", status)
		}
	})

	t.Run("the audit log has its creation, use and revocation", func(t *testing.T) {
		raw := g.auditLog(t, auditPath)
		for _, want := range []string{`"event":"personal_token"`, `"decision":"create"`, `"client_id":"pat:`, `"decision":"revoke"`} {
			if !strings.Contains(raw, want) {
				t.Errorf("audit log lacks %s:\n%s", want, raw)
			}
		}
		if strings.Contains(raw, token) {
			t.Error("the audit log holds the token")
		}
	})
}

// TestAccountPageRefusals: the account pages cannot be framed, and their
// forms are refused without the page's CSRF token, from another
// browser, or from a session since signed out; a token asks for at least
// one server and a lifetime offered.
func TestAccountPageRefusals(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	b := newBrowser(t)
	page := g.accountSignIn(t, b)
	csrf := csrfField.FindStringSubmatch(page)[1]

	resp := b.get(g.URL + "/account")
	readBody(t, resp)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("account page framing headers: CSP %q, X-Frame-Options %q", csp, resp.Header.Get("X-Frame-Options"))
	}
	good := func() url.Values {
		return url.Values{"csrf": {csrf}, "name": {"t"}, "lifetime": {"168"}, "server": {g.resource()}}
	}
	tests := []struct {
		name       string
		browser    *browser
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{"no csrf token", b, func() url.Values { f := good(); f.Del("csrf"); return f }(), http.StatusForbidden, "not sent from the page"},
		{"another browser", newBrowser(t), good(), http.StatusForbidden, "session has ended"},
		{"no server", b, func() url.Values { f := good(); f.Del("server"); return f }(), http.StatusBadRequest, "at least one MCP server"},
		{"a server not served", b, func() url.Values { f := good(); f.Set("server", "https://evil.example/mcp"); return f }(), http.StatusBadRequest, "not served here"},
		{"a lifetime not offered", b, func() url.Values { f := good(); f.Set("lifetime", "0"); return f }(), http.StatusBadRequest, "lifetimes offered"},
		{"no name", b, func() url.Values { f := good(); f.Set("name", " "); return f }(), http.StatusBadRequest, "Give the token a name"},
		{"no scope chosen", b, func() url.Values { f := good(); f.Set("scopes_offered", "1"); return f }(), http.StatusBadRequest, "at least one scope"},
		{"a scope the user may not hold", b, func() url.Values { f := good(); f.Set("scope", "admin"); return f }(), http.StatusBadRequest, "may not hold the scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.browser.postForm(g.URL+"/account/tokens", tt.form)
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantText) || newTokenField.MatchString(body) {
				t.Errorf("got %d, want %d with %q and no token:\n%s", resp.StatusCode, tt.wantStatus, tt.wantText, body)
			}
		})
	}
	t.Run("past 50 tokens", func(t *testing.T) {
		for i := range 50 {
			resp := b.postForm(g.URL+"/account/tokens", good())
			if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
				t.Fatalf("token %d: %d\n%s", i+1, resp.StatusCode, body)
			}
		}
		resp := b.postForm(g.URL+"/account/tokens", good())
		if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "the most one may have") {
			t.Errorf("the 51st token: %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("a form of a session since signed out", func(t *testing.T) {
		resp := b.postForm(g.URL+"/account/signout", url.Values{"csrf": {csrf}})
		readBody(t, resp)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: %d", resp.StatusCode)
		}
		resp = b.postForm(g.URL+"/account/tokens", good())
		if body := readBody(t, resp); resp.StatusCode != http.StatusForbidden || newTokenField.MatchString(body) {
			t.Errorf("after signing out: %d\n%s", resp.StatusCode, body)
		}
	})
}

// hostileAccountSignIn signs a fresh browser in on the account page of g,
// whose scripted IdP signs in at once, and returns it with the page.
func hostileAccountSignIn(t *testing.T, g *gateway) (*browser, string) {
	t.Helper()
	b := newBrowser(t)
	resp := b.get(g.URL + "/account/signin")
	readBody(t, resp)
	resp = b.get(resp.Header.Get("Location"))
	readBody(t, resp)
	if back := g.followCallback(t, b, resp.Header.Get("Location")); back.String() != "/account" {
		t.Fatalf("after the sign-in: %s", back)
	}
	return b, readBody(t, b.get(g.URL+"/account"))
}

// TestPersonalTokenDeprovisioning: a personal access token stops working
// once the IdP no longer grants its user access: checked with the IdP
// when a replica reads the token, and then, through the revocation of the
// sign-in the IdP ended, at once for the tokens of that sign-in a
// replica holds in memory.
func TestPersonalTokenDeprovisioning(t *testing.T) {
	backend := startRecordingBackend(t)
	g, hostile := startHostileGatewayWith(t, nil, func(c *config.Config) { c.Backend.URL = backend.URL })
	idp := newRotatingIdP(hostile)
	b, page := hostileAccountSignIn(t, g)
	form := url.Values{"name": {"ci"}, "lifetime": {"168"}, "server": {g.resource()}}
	held, _ := g.createToken(t, b, page, form)
	fresh, _ := g.createToken(t, b, page, form)

	if status := mcpStatus(t, g, held); status != http.StatusOK {
		t.Fatalf("a token before the user was disabled: %d", status)
	}
	idp.mu.Lock()
	idp.disabled = true
	idp.mu.Unlock()
	if status := mcpStatus(t, g, fresh); status != http.StatusUnauthorized {
		t.Errorf("a token first read after the user was disabled: %d, want 401", status)
	}
	if status := mcpStatus(t, g, held); status != http.StatusUnauthorized {
		t.Errorf("a token held in memory, after the IdP refused the user: %d, want 401", status)
	}
	if page := readBody(t, b.get(g.URL+"/account")); !strings.Contains(page, `href="/account/signin"`) {
		t.Errorf("the account page after the IdP ended the sign-in: still signed in")
	}
}

// TestConnectedClients: the account page lists the MCP clients that hold
// access to the user's account, with who vouches for their name and when
// they were used; revoking one ends its refresh token at once, its access
// token at the MCP endpoint, and the user's consent to it.
func TestConnectedClients(t *testing.T) {
	backend := startRecordingBackend(t)
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL
		c.Audit.Path = auditPath
	}})
	c := g.registerPublic(t)
	tokens := g.exchange(t, c, g.code(t, c))
	if tokens.Status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", tokens.Status, tokens.Error)
	}
	tokens = g.refresh(t, c, tokens.RefreshToken) // a use, noted
	other := g.registerPublic(t)
	otherTokens := g.exchange(t, other, g.code(t, other))

	b := newBrowser(t)
	page := g.accountSignIn(t, b)
	for _, want := range []string{"Connected applications", "test client", "it is not verified", `value="` + c.ID + `"`, `value="` + other.ID + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the account page lacks %q:\n%s", want, page)
		}
	}
	resp := b.postForm(g.URL+"/account/clients/revoke", url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "client": {c.ID}})
	readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke client: %d", resp.StatusCode)
	}
	if res := g.refresh(t, c, tokens.RefreshToken); res.Error != "invalid_grant" {
		t.Errorf("refresh of the revoked client: %d %q, want invalid_grant", res.Status, res.Error)
	}
	if status := mcpStatus(t, g, tokens.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("access token of the revoked client: %d, want 401", status)
	}
	if status := mcpStatus(t, g, otherTokens.AccessToken); status != http.StatusOK {
		t.Errorf("access token of the other client: %d, want 200", status)
	}
	page = readBody(t, b.get(g.URL+"/account"))
	if strings.Contains(page, `value="`+c.ID+`"`) || !strings.Contains(page, `value="`+other.ID+`"`) {
		t.Errorf("after the revocation the page lists the revoked client, or not the other")
	}
	if raw := g.auditLog(t, auditPath); !strings.Contains(raw, `"event":"client_grant"`) || !strings.Contains(raw, `"target":"`+c.ID+`","decision":"revoke"`) {
		t.Errorf("the audit log lacks the client's revocation:\n%s", raw)
	}
	// The consent went with it: the client's next sign-in asks again.
	resp = newBrowser(t).get(g.authorizeURL(c, nil))
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="decision"`) {
		t.Errorf("authorize after the revocation: %d, want the consent page", resp.StatusCode)
	}
}

// TestAccountAPI: with an OAuth access token a user lists and revokes
// their connected clients and personal access tokens as JSON; a personal
// access token, no token, or another user's item get nothing.
func TestAccountAPI(t *testing.T) {
	const cli = "mcpgate-cli"
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Clients = []config.Client{{ID: cli, Name: "mcpgate CLI", RedirectURIs: []string{"http://127.0.0.1:7777/callback"}}}
	}})
	c := client{ID: cli, RedirectURI: "http://127.0.0.1:7777/callback", Verifier: strings.Repeat("v", 50)}
	tokens := g.exchange(t, c, g.code(t, c))
	thirdParty := g.registerPublic(t)
	thirdPartyTokens := g.exchange(t, thirdParty, g.code(t, thirdParty))
	b := newBrowser(t)
	page := g.accountSignIn(t, b)
	pat, _ := g.createToken(t, b, page, url.Values{"name": {"script"}, "lifetime": {"168"}, "server": {g.resource()}})

	call := func(method, path, bearer, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, g.URL+path, strings.NewReader(body))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readBody(t, resp)
	}
	status, body := call(http.MethodGet, "/account/api/clients", tokens.AccessToken, "")
	if status != http.StatusOK || !strings.Contains(body, `"client_id":"`+c.ID+`"`) {
		t.Errorf("list clients: %d %s", status, body)
	}
	status, body = call(http.MethodGet, "/account/api/tokens", tokens.AccessToken, "")
	id := regexp.MustCompile(`"id":"([^"]+)","name":"script"`).FindStringSubmatch(body)
	if status != http.StatusOK || id == nil || strings.Contains(body, pat) {
		t.Fatalf("list tokens: %d %s", status, body)
	}
	for _, tc := range []struct {
		name, method, path, bearer, body string
		want                             int
	}{
		{"no token", http.MethodGet, "/account/api/tokens", "", "", http.StatusUnauthorized},
		{"a client the user approved for an MCP server", http.MethodGet, "/account/api/tokens", thirdPartyTokens.AccessToken, "", http.StatusForbidden},
		{"a personal access token", http.MethodGet, "/account/api/tokens", pat, "", http.StatusUnauthorized},
		{"revoke with nothing named", http.MethodPost, "/account/api/tokens/revoke", tokens.AccessToken, `{}`, http.StatusBadRequest},
		{"revoke a token that is not the user's", http.MethodPost, "/account/api/tokens/revoke", tokens.AccessToken, `{"id":"someone-elses"}`, http.StatusNotFound},
	} {
		if status, body := call(tc.method, tc.path, tc.bearer, tc.body); status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
		}
	}
	if status, body := call(http.MethodPost, "/account/api/tokens/revoke", tokens.AccessToken, `{"id":"`+id[1]+`"}`); status != http.StatusNoContent {
		t.Fatalf("revoke token: %d %s", status, body)
	}
	if status := mcpStatus(t, g, pat); status != http.StatusUnauthorized {
		t.Errorf("the revoked personal token at the MCP endpoint: %d", status)
	}
	if status, body := call(http.MethodPost, "/account/api/clients/revoke", tokens.AccessToken, `{"client_id":"`+c.ID+`"}`); status != http.StatusNoContent {
		t.Fatalf("revoke client: %d %s", status, body)
	}
	if status, _ := call(http.MethodGet, "/account/api/tokens", tokens.AccessToken, ""); status != http.StatusUnauthorized {
		t.Errorf("the API with the access token of the client just revoked: %d, want 401", status)
	}
}

// TestAdminView: a member of policy.admin_groups sees every user's
// connected clients and tokens and revokes them; anyone else is refused.
func TestAdminView(t *testing.T) {
	g, hostile := startHostileGatewayWith(t, nil, func(c *config.Config) { c.Policy.AdminGroups = []string{"ops"} })
	idp := newRotatingIdP(hostile) // its user is in eng and ops
	signIn := func() (*browser, string) { return hostileAccountSignIn(t, g) }
	c := g.registerPublic(t)
	tokens := g.exchange(t, c, hostileCode(t, g, c))
	b, page := signIn()
	g.createToken(t, b, page, url.Values{"name": {"deploy"}, "lifetime": {"168"}, "server": {g.resource()}})

	resp := b.get(g.URL + "/account/admin")
	admin := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(admin, `value="`+c.ID+`"`) || !strings.Contains(admin, "deploy") {
		t.Fatalf("admin view: %d\n%s", resp.StatusCode, admin)
	}
	assertFramingRefused(t, "the admin view", resp.Header)
	subject := regexp.MustCompile(`name="subject" value="([^"]+)"`).FindStringSubmatch(admin)[1]
	resp = b.postForm(g.URL+"/account/admin/revoke", url.Values{"csrf": {csrfField.FindStringSubmatch(admin)[1]},
		"kind": {"client"}, "subject": {subject}, "id": {c.ID}})
	readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin revoke: %d", resp.StatusCode)
	}
	if status := mcpStatus(t, g, tokens.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("the client's access token after the admin revoked it: %d", status)
	}

	idp.mu.Lock()
	idp.groups = []string{"eng"}
	idp.mu.Unlock()
	// Removed from ops at the IdP: the admin's own session loses the view.
	if resp := b.get(g.URL + "/account/admin"); readBody(t, resp) != "" && resp.StatusCode != http.StatusForbidden {
		t.Errorf("admin view of a session whose user left the admin group: %d, want 403", resp.StatusCode)
	}
	other, otherPage := signIn()
	resp = other.get(g.URL + "/account/admin")
	if body := readBody(t, resp); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "deploy") {
		t.Errorf("admin view for a non-admin: %d", resp.StatusCode)
	}
	assertFramingRefused(t, "the admin view's refusal", resp.Header)
	resp = other.postForm(g.URL+"/account/admin/revoke", url.Values{"csrf": {csrfField.FindStringSubmatch(otherPage)[1]},
		"kind": {"token"}, "subject": {subject}, "id": {"any"}})
	if readBody(t, resp); resp.StatusCode != http.StatusForbidden {
		t.Errorf("admin revoke by a non-admin: %d, want 403", resp.StatusCode)
	}
}

// TestBranding: pages.organization_name heads every page and its title,
// and pages.logo_file is served by mcpgate itself, as an image that
// cannot run scripts; without a logo there is none to fetch.
func TestBranding(t *testing.T) {
	png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	raw, _ := base64.StdEncoding.DecodeString(png)
	logo := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(logo, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Pages = config.Pages{OrganizationName: "Example <Corp>", LogoFile: logo}
	}})
	page := readBody(t, newBrowser(t).get(g.URL+"/account"))
	for _, want := range []string{"<title>Your account · Example &lt;Corp&gt;</title>", `<img src="/assets/logo" alt="">`, "<span>Example &lt;Corp&gt;</span>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the account page lacks %s:\n%s", want, page)
		}
	}
	resp := newBrowser(t).get(g.URL + "/assets/logo")
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || body != string(raw) || resp.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("logo: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Security-Policy"))
	}

	plain := startGateway(t, gatewayOptions{})
	if resp := newBrowser(t).get(plain.URL + "/assets/logo"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("logo without pages.logo_file: %d, want 404", resp.StatusCode)
	}
	if page := readBody(t, newBrowser(t).get(plain.URL+"/account")); !strings.Contains(page, "<title>Your account · mcpgate</title>") || strings.Contains(page, `class="org"`) {
		t.Errorf("the unbranded page: %s", page)
	}
}

// TestPersonalTokenRevocationAcrossReplicas: a token revoked on one
// replica is refused by another that holds it in memory within
// tokens.revocation_poll_interval, with no store read per request.
func TestPersonalTokenRevocationAcrossReplicas(t *testing.T) {
	const poll = 200 * time.Millisecond
	db := "sqlite://" + filepath.Join(t.TempDir(), "shared.db")
	backend := startRecordingBackend(t)
	a := startGateway(t, gatewayOptions{store: db, mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL
		c.Tokens.RevocationPollInterval = poll
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := startGateway(t, gatewayOptions{store: db, idp: a.IdP, listener: ln, mutate: func(c *config.Config) {
		// The same deployment behind a balancer: one public URL.
		c.PublicURL = a.URL
		c.AllowedHosts = []string{ln.Addr().String()}
		c.Backend.URL = backend.URL
		c.Tokens.RevocationPollInterval = poll
	}})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go b.App.Run(ctx) // its revocation poll
	atB := func(token string) int {
		req, _ := http.NewRequest(http.MethodPost, b.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		return resp.StatusCode
	}

	br := newBrowser(t)
	page := a.accountSignIn(t, br)
	token, _ := a.createToken(t, br, page, url.Values{"name": {"ci"}, "lifetime": {"168"}, "server": {a.resource()}})
	if status := atB(token); status != http.StatusOK {
		t.Fatalf("the token at the other replica: %d", status)
	}
	page = readBody(t, br.get(a.URL+"/account"))
	id := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(page)[1]
	resp := br.postForm(a.URL+"/account/tokens/revoke", url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "id": {id}})
	readBody(t, resp)
	revoked := time.Now()
	for atB(token) != http.StatusUnauthorized {
		if time.Since(revoked) > 10*poll {
			t.Fatalf("the other replica still takes the revoked token after %v", time.Since(revoked))
		}
		time.Sleep(poll / 10)
	}
	t.Logf("the other replica refused the revoked token %v after the revocation (poll interval %v)", time.Since(revoked).Round(time.Millisecond), poll)
}

// TestPersonalTokenMaxSessionAge: where the IdP's sign-ins are limited in
// age, a token made from one ends with it, whatever lifetime was chosen.
func TestPersonalTokenMaxSessionAge(t *testing.T) {
	g, hostile := startHostileGatewayWith(t, nil, func(c *config.Config) { c.Upstream.MaxSessionAge = time.Hour })
	newRotatingIdP(hostile)
	b, page := hostileAccountSignIn(t, g)
	g.createToken(t, b, page, url.Values{"name": {"ci"}, "lifetime": {"168"}, "server": {g.resource()}})
	var found bool
	for _, tok := range mustTokensOfAll(t, g) {
		found = true
		if left := time.Until(tok.ExpiresAt); left > time.Hour || left < 58*time.Minute {
			t.Errorf("the token ends in %v, want with the sign-in, within the hour", left)
		}
	}
	if !found {
		t.Fatal("no token in the store")
	}
}

func mustTokensOfAll(t *testing.T, g *gateway) []store.PersonalToken {
	t.Helper()
	list, err := g.App.Store.AllPersonalTokens(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestAccountPageTooLargeIdentity: an identity too large for the session
// cookie (hundreds of groups) gets a page saying the account page cannot
// be used, not a silent loop back to the sign-in.
func TestAccountPageTooLargeIdentity(t *testing.T) {
	g, hostile := startHostileGatewayWith(t, nil, nil)
	idp := newRotatingIdP(hostile)
	idp.mu.Lock()
	idp.groups = nil
	for i := range 300 {
		idp.groups = append(idp.groups, fmt.Sprintf("a-rather-long-directory-group-name-%03d", i))
	}
	idp.mu.Unlock()
	b := newBrowser(t)
	resp := b.get(g.URL + "/account/signin")
	readBody(t, resp)
	resp = b.get(resp.Header.Get("Location"))
	readBody(t, resp)
	resp = b.get(resp.Header.Get("Location"))
	if body := readBody(t, resp); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(body, "too much to keep") {
		t.Errorf("callback of an account sign-in with 300 groups: %d\n%s", resp.StatusCode, body)
	}
}
