package e2e_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// twoIdPs is a gateway in front of a recording backend whose users sign
// in with one of two real OpenID providers, corp and partners, chosen on
// mcpgate's chooser page or by email domain (partners.example).
type twoIdPs struct {
	*gateway
	corp, partners *testIdP
	backend        *recordingBackend
}

func startTwoIdPs(t *testing.T, mutate func(*config.Config)) *twoIdPs {
	return startTwoIdPsAt(t, "127.0.0.1:0", mutate)
}

func startTwoIdPsAt(t *testing.T, addr string, mutate func(*config.Config)) *twoIdPs {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	corp := startIdP(t, base+config.CallbackPath+"/corp")
	partners := startIdP(t, base+config.CallbackPath+"/partners")
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{listener: ln, idp: corp, mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL
		c.Upstream = config.Default().Upstream
		c.Upstreams = []config.NamedUpstream{
			{Name: "corp", DisplayName: "Example Corp", EmailDomains: []string{"corp.example"},
				Upstream: config.Upstream{Issuer: corp.Issuer(), ClientID: corp.ClientID, ClientSecret: upstreamClientSecret}},
			{Name: "partners", DisplayName: "Partners", EmailDomains: []string{"partners.example"},
				Upstream: config.Upstream{Issuer: partners.Issuer(), ClientID: partners.ClientID, ClientSecret: upstreamClientSecret}},
		}
		if mutate != nil {
			mutate(c)
		}
	}})
	return &twoIdPs{gateway: g, corp: corp, partners: partners, backend: backend}
}

// chooser goes through /authorize and consent to the chooser page and
// returns its hidden fields.
func (g *twoIdPs) chooser(t *testing.T, b *browser, c client) (requestID, csrf string) {
	t.Helper()
	resp := b.get(g.authorizeURL(c, nil))
	reqID, token := consentForm(t, readBody(t, resp))
	resp = b.postForm(g.URL+"/consent", url.Values{"request": {reqID}, "csrf": {token}, "decision": {"approve"}})
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Example Corp") || !strings.Contains(page, `name="email"`) {
		t.Fatalf("after consent: got %d, want the chooser with both IdPs and the email field:\n%s", resp.StatusCode, page)
	}
	assertFramingRefused(t, "the chooser", resp.Header)
	return consentForm(t, page)
}

// choose posts the chooser form and returns the redirect to the IdP.
func (g *twoIdPs) choose(t *testing.T, b *browser, form url.Values) *url.URL {
	t.Helper()
	resp := b.postForm(g.URL+oauth.ChooserPath, form)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("choose %v: got %d, want a redirect to the IdP:\n%s", form, resp.StatusCode, body)
	}
	u, _ := url.Parse(resp.Header.Get("Location"))
	return u
}

// signedIn is one sign-in's client, where the chooser sent the browser,
// and the tokens.
type signedIn struct {
	client client
	sentTo *url.URL
	tokenResult
}

// signInWith signs a fresh browser in through idp, chosen by form
// (request and csrf are filled in).
func (g *twoIdPs) signInWith(t *testing.T, idp *testIdP, form url.Values) signedIn {
	t.Helper()
	b := newBrowser(t)
	c := g.registerPublic(t)
	reqID, csrf := g.chooser(t, b, c)
	form.Set("request", reqID)
	form.Set("csrf", csrf)
	to := g.choose(t, b, form)
	if !strings.HasPrefix(to.String(), idp.Issuer()) {
		t.Fatalf("sent to %s, want %s", to, idp.Issuer())
	}
	cb, err := idp.Login(context.Background(), b.client, to.String())
	if err != nil {
		t.Fatalf("upstream login: %v", err)
	}
	back := g.followCallback(t, b, cb.String())
	res := g.exchange(t, c, back.Query().Get("code"))
	if res.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", res.Status, res.Error)
	}
	return signedIn{client: c, sentTo: to, tokenResult: res}
}

func (b *recordingBackend) calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.headers)
}

func (g *twoIdPs) callTool(t *testing.T, token, tool string) string {
	t.Helper()
	_, body := g.postMCP(t, token, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"`+tool+`","arguments":{}}}`)
	return body
}

// TestTwoUpstreamIdPs: users of two IdPs sign in through one mcpgate, one
// chosen by button and one by email domain; their subjects differ though
// both IdPs know the same user, their tokens name the IdP, and a rule for
// one IdP's users lets only them call its tool.
func TestTwoUpstreamIdPs(t *testing.T) {
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	g := startTwoIdPs(t, func(c *config.Config) {
		c.Policy.Rules = []config.Rule{
			{Name: "everyone", Allow: config.Permissions{Tools: []string{"echo"}}},
			{Name: "corp-payroll", IdPs: []string{"corp"}, Allow: config.Permissions{Tools: []string{"payroll"}}},
		}
		c.Audit.Path = auditPath
	})

	corp := g.signInWith(t, g.corp, url.Values{"idp": {"corp"}})
	partner := g.signInWith(t, g.partners, url.Values{"email": {"Pat@Partners.Example"}})

	corpClaims := verifyWithJWKS(t, g.URL+"/jwks", corp.AccessToken)
	partnerClaims := verifyWithJWKS(t, g.URL+"/jwks", partner.AccessToken)
	if corpClaims.IdP != "corp" || partnerClaims.IdP != "partners" {
		t.Errorf("idp claims: got %q and %q, want corp and partners", corpClaims.IdP, partnerClaims.IdP)
	}
	if corpClaims.Subject != g.corp.Issuer()+"#"+g.corp.Subject || partnerClaims.Subject != g.partners.Issuer()+"#"+g.partners.Subject {
		t.Errorf("subjects: got %q and %q, want each IdP's issuer with its sub", corpClaims.Subject, partnerClaims.Subject)
	}

	t.Run("the policy tells the IdPs apart", func(t *testing.T) {
		before := g.backend.calls()
		if body := g.callTool(t, corp.AccessToken, "payroll"); strings.Contains(body, "error") {
			t.Errorf("corp user, payroll: got %s, want the backend's answer", body)
		}
		if user := g.backend.last().Get("X-Forwarded-User"); user != corpClaims.Subject {
			t.Errorf("backend saw user %q, want %q", user, corpClaims.Subject)
		}
		body := g.callTool(t, partner.AccessToken, "payroll")
		if !strings.Contains(body, `"code":-32001`) || !strings.Contains(body, `"id":7`) {
			t.Errorf("partner user, payroll: got %s, want JSON-RPC error -32001 for request 7", body)
		}
		if body := g.callTool(t, partner.AccessToken, "echo"); strings.Contains(body, "error") {
			t.Errorf("partner user, echo: got %s, want the backend's answer", body)
		}
		if got := g.backend.calls() - before; got != 2 {
			t.Errorf("backend received %d calls, want 2 (the refused one never reaches it)", got)
		}
	})

	t.Run("the audit names the IdP", func(t *testing.T) {
		raw := g.auditLog(t, auditPath)
		for _, want := range []string{
			`"event":"signin","sub":"` + corpClaims.Subject + `","idp":"corp"`,
			`"sub":"` + partnerClaims.Subject + `","idp":"partners"`,
			`"target":"payroll","decision":"deny"`,
		} {
			if !strings.Contains(raw, want) {
				t.Errorf("audit log lacks %s:\n%s", want, raw)
			}
		}
	})

	t.Run("each IdP has its own logout path", func(t *testing.T) {
		for path, want := range map[string]int{
			oauth.BackChannelLogoutPath + "/corp":     http.StatusBadRequest, // verified as corp's, and refused
			oauth.BackChannelLogoutPath + "/partners": http.StatusBadRequest,
			oauth.BackChannelLogoutPath:               http.StatusNotFound,
			oauth.BackChannelLogoutPath + "/evil":     http.StatusNotFound,
		} {
			resp, err := http.PostForm(g.URL+path, url.Values{"logout_token": {"not.a.jwt"}})
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != want || (want == http.StatusBadRequest && !strings.Contains(body, "the logout token is not valid")) {
				t.Errorf("POST %s: got %d %s, want %d", path, resp.StatusCode, body, want)
			}
		}
	})

	t.Run("the email goes to its IdP as login_hint", func(t *testing.T) {
		if got := partner.sentTo.Query().Get("login_hint"); got != "Pat@Partners.Example" {
			t.Errorf("login_hint: got %q, want the email typed", got)
		}
		if corp.sentTo.Query().Has("login_hint") {
			t.Errorf("login_hint sent for a sign-in chosen by button")
		}
	})

	t.Run("a refresh keeps the IdP", func(t *testing.T) {
		res := g.refresh(t, partner.client, partner.RefreshToken)
		if res.Status != http.StatusOK {
			t.Fatalf("refresh: %d %s", res.Status, res.Error)
		}
		if claims := verifyWithJWKS(t, g.URL+"/jwks", res.AccessToken); claims.IdP != "partners" {
			t.Errorf("after refresh: idp %q, want partners", claims.IdP)
		}
	})
}

// TestChooserRefusals: the chooser takes only its own form, for a flow of
// this browser, naming an IdP that exists; an answer that comes back to
// another IdP's callback than the one the browser was sent to (mix-up) is
// refused and ends the flow.
func TestChooserRefusals(t *testing.T) {
	g := startTwoIdPs(t, nil)
	start := func(t *testing.T) (*browser, url.Values) {
		b := newBrowser(t)
		reqID, csrf := g.chooser(t, b, g.registerPublic(t))
		return b, url.Values{"request": {reqID}, "csrf": {csrf}}
	}
	post := func(b *browser, form url.Values, more ...string) (int, string) {
		for i := 0; i+1 < len(more); i += 2 {
			form.Set(more[i], more[i+1])
		}
		resp := b.postForm(g.URL+oauth.ChooserPath, form)
		return resp.StatusCode, readBody(t, resp)
	}
	tests := []struct {
		name       string
		run        func(t *testing.T) (int, string)
		wantStatus int
		wantText   string
	}{
		{"no csrf token", func(t *testing.T) (int, string) {
			b, form := start(t)
			form.Del("csrf")
			return post(b, form, "idp", "corp")
		}, http.StatusForbidden, "not sent from the page"},
		{"another browser's flow", func(t *testing.T) (int, string) {
			_, form := start(t)
			return post(newBrowser(t), form, "idp", "corp")
		}, http.StatusForbidden, "not sent from the page"},
		{"an IdP that does not exist", func(t *testing.T) (int, string) {
			b, form := start(t)
			return post(b, form, "idp", "evil")
		}, http.StatusBadRequest, "no such way to sign in"},
		{"an email of no configured domain", func(t *testing.T) (int, string) {
			b, form := start(t)
			return post(b, form, "email", "eve@elsewhere.example")
		}, http.StatusOK, "No sign-in is set up for that email address"},
		{"not an email", func(t *testing.T) (int, string) {
			b, form := start(t)
			return post(b, form, "email", "corp.example")
		}, http.StatusOK, "That is not an email address"},
		{"neither button nor email", func(t *testing.T) (int, string) {
			b, form := start(t)
			return post(b, form)
		}, http.StatusOK, "Choose how to sign in"},
		{"a second choice once sent upstream", func(t *testing.T) (int, string) {
			b, form := start(t)
			if status, _ := post(b, form, "idp", "corp"); status != http.StatusFound {
				t.Fatalf("first choice: %d", status)
			}
			return post(b, form, "idp", "partners")
		}, http.StatusForbidden, "has moved on"},
		{"an answer at another IdP's callback", func(t *testing.T) (int, string) {
			b, form := start(t)
			form.Set("idp", "corp")
			to := g.choose(t, b, form)
			cb, err := g.corp.Login(context.Background(), b.client, to.String())
			if err != nil {
				t.Fatal(err)
			}
			wrong := strings.Replace(cb.String(), config.CallbackPath+"/corp", config.CallbackPath+"/partners", 1)
			resp := b.get(wrong)
			status, body := resp.StatusCode, readBody(t, resp)
			// The flow is over: the right callback finds nothing now.
			if resp := b.get(cb.String()); resp.StatusCode == http.StatusFound {
				t.Errorf("the real callback after the mix-up: got a redirect, want the flow ended")
			}
			return status, body
		}, http.StatusBadRequest, "another identity provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := tt.run(t)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantText) {
				t.Errorf("got %d, want %d with %q:\n%s", status, tt.wantStatus, tt.wantText, body)
			}
		})
	}
}

// TestRemovedIdP: once an IdP is taken out of upstreams, the grants of
// its users end at their next refresh, while the other IdP's go on.
func TestRemovedIdP(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "mcpgate.db")
	before := startTwoIdPs(t, func(c *config.Config) { c.Store = db })
	corp := before.signInWith(t, before.corp, url.Values{"idp": {"corp"}})
	partner := before.signInWith(t, before.partners, url.Values{"idp": {"partners"}})
	before.stop()

	after := startTwoIdPsAt(t, strings.TrimPrefix(before.URL, "http://"), func(c *config.Config) {
		c.Store = db
		c.Upstreams = c.Upstreams[1:] // partners only
		c.Upstreams[0].Issuer = before.partners.Issuer()
		c.Upstreams[0].ClientID = before.partners.ClientID
	})
	if res := after.refresh(t, corp.client, corp.RefreshToken); res.Status != http.StatusBadRequest || res.Error != "invalid_grant" {
		t.Errorf("refresh of a corp sign-in: got %d %q, want 400 invalid_grant", res.Status, res.Error)
	}
	if res := after.refresh(t, partner.client, partner.RefreshToken); res.Status != http.StatusOK {
		t.Errorf("refresh of a partners sign-in: got %d %q, want 200", res.Status, res.Error)
	}

	// With one IdP left there is nothing to choose: consent leads to it.
	after.IdP = before.partners
	back := after.signIn(t, newBrowser(t), after.authorizeURL(after.registerPublic(t), nil))
	if back.Query().Get("code") == "" {
		t.Errorf("sign-in through the one IdP of upstreams: got %s, want a code", back)
	}
}
