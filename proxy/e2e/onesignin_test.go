package e2e_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// TestOneSignIn: a browser signed in with mcpgate authorizes a second
// client for a second backend without another upstream login (consent
// is still asked, per client and resource); the sign-in policy still
// decides; the session's end and session.reuse_sign_in: false send the
// browser upstream again.
func TestOneSignIn(t *testing.T) {
	files := startRecordingBackend(t)
	twoBackends := func(more func(*config.Config)) func(*config.Config) {
		return func(c *config.Config) {
			c.Backends = []config.NamedBackend{{Name: "files", URL: files.URL + "/mcp"}}
			if more != nil {
				more(c)
			}
		}
	}
	// secondBackend authorizes a new client for the files backend in b and
	// returns where the browser is sent after consent.
	secondBackend := func(t *testing.T, g *gateway, b *browser) (*url.URL, client) {
		t.Helper()
		c := g.registerPublic(t)
		loc, err := url.Parse(g.approve(t, b, g.authorizeURL(c, func(q url.Values) { q.Set("resource", g.URL+"/mcp/files") })))
		if err != nil {
			t.Fatal(err)
		}
		return loc, c
	}

	t.Run("second backend, no second login", func(t *testing.T) {
		g := startGateway(t, gatewayOptions{mutate: twoBackends(nil)})
		b := newBrowser(t)
		first := g.registerPublic(t)
		back := g.signIn(t, b, g.authorizeURL(first, nil))
		firstToken := g.exchange(t, first, back.Query().Get("code"))
		loc, c := secondBackend(t, g, b)
		if !strings.HasPrefix(loc.String(), c.RedirectURI) || loc.Query().Get("code") == "" || loc.Query().Get("iss") != g.URL {
			t.Fatalf("after consent: sent to %s, want the client's redirect with a code, no IdP in between", redact(loc))
		}
		res := g.tokenRequest(t, c, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
			"redirect_uri": {c.RedirectURI}, "code_verifier": {c.Verifier}, "resource": {g.URL + "/mcp/files"}})
		if res.Status != http.StatusOK {
			t.Fatalf("token: %d %s", res.Status, res.Error)
		}
		jwks := g.URL + "/jwks"
		a, f := verifyWithJWKS(t, jwks, firstToken.AccessToken), verifyWithJWKS(t, jwks, res.AccessToken)
		if a.AuthTime == 0 || f.AuthTime != a.AuthTime {
			t.Errorf("second token: auth_time %d, want the first sign-in's %d (nobody signed in again)", f.AuthTime, a.AuthTime)
		}
		if a.Subject != f.Subject || f.Email != g.IdP.Email || f.Audience != g.URL+"/mcp/files" {
			t.Errorf("second token: sub %q email %q aud %q, want the first sign-in's user for the files backend", f.Subject, f.Email, f.Audience)
		}

		// A policy reloaded since: the session's user is held to it too.
		cfg := *g.cfg
		cfg.Policy.SignIn.AllowedEmailDomains = []string{"other.example"}
		if err := g.App.ReloadPolicy(&cfg); err != nil {
			t.Fatal(err)
		}
		c3 := g.registerPublic(t)
		resp := b.get(g.authorizeURL(c3, nil))
		page := readBody(t, resp)
		reqID, csrf := consentForm(t, page)
		resp = b.postForm(g.URL+"/consent", url.Values{"request": {reqID}, "csrf": {csrf}, "decision": {"approve"}})
		page = readBody(t, resp)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Access not allowed") {
			t.Errorf("after the policy changed: got %d, want the refusal page", resp.StatusCode)
		}
		// The refused session is forgotten: the next sign-in goes upstream.
		c4 := g.registerPublic(t)
		if loc := g.approve(t, b, g.authorizeURL(c4, nil)); !strings.HasPrefix(loc, g.IdP.Issuer()) {
			t.Errorf("after a refusal: sent to %s, want the IdP", loc)
		}
	})

	t.Run("the session's end ends the reuse", func(t *testing.T) {
		g := startGateway(t, gatewayOptions{mutate: twoBackends(func(c *config.Config) { c.Session.TTL = time.Second })})
		b := newBrowser(t)
		g.signIn(t, b, g.authorizeURL(g.registerPublic(t), nil))
		time.Sleep(1100 * time.Millisecond)
		if loc, _ := secondBackend(t, g, b); !strings.HasPrefix(loc.String(), g.IdP.Issuer()) {
			t.Errorf("after the session ended: sent to %s, want the IdP", redact(loc))
		}
	})

	t.Run("reuse off", func(t *testing.T) {
		g := startGateway(t, gatewayOptions{mutate: twoBackends(func(c *config.Config) { c.Session.ReuseSignIn = false })})
		b := newBrowser(t)
		g.signIn(t, b, g.authorizeURL(g.registerPublic(t), nil))
		if loc, _ := secondBackend(t, g, b); !strings.HasPrefix(loc.String(), g.IdP.Issuer()) {
			t.Errorf("with reuse_sign_in false: sent to %s, want the IdP", redact(loc))
		}
	})
}

// TestSessionIdentityCookie: the identity kept in the cookie is sealed
// (neither readable nor alterable) and bound to the session's subject.
func TestSessionIdentityCookie(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	b := newBrowser(t)
	g.signIn(t, b, g.authorizeURL(g.registerPublic(t), nil))
	u, _ := url.Parse(g.URL)
	cookies := b.client.Jar.Cookies(u)
	if len(cookies) == 0 {
		t.Fatal("no cookie")
	}
	for _, ck := range cookies {
		payload, _, _ := strings.Cut(ck.Value, ".")
		raw, err := base64.RawURLEncoding.DecodeString(payload)
		if err != nil {
			t.Fatalf("cookie %s: %v", ck.Name, err)
		}
		if !strings.Contains(string(raw), `"i":"`) {
			t.Errorf("cookie %s keeps no identity: %s", ck.Name, raw)
		}
		if strings.Contains(string(raw), g.IdP.Email) {
			t.Errorf("cookie %s shows the email in the clear: %s", ck.Name, raw)
		}
	}
}
