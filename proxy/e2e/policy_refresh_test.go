package e2e_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/mcpgate/mcpgate/config"
)

// TestPolicyAtRefresh: a scope a rule names is granted only to the users
// the rule selects, at the code and again at every refresh, and a user a
// reloaded sign-in policy no longer admits gets no new token.
func TestPolicyAtRefresh(t *testing.T) {
	writers := func(email string) []config.Rule {
		return []config.Rule{
			{Name: "readers", Allow: config.Permissions{Tools: []string{"*"}}},
			{Name: "writers", Emails: []string{email}, Scope: "mcp:write", Allow: config.Permissions{Tools: []string{"write_*"}}},
		}
	}
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.MCP.Scopes = []string{"mcp", "mcp:write"}
		c.Policy.Rules = writers("*@zitadel.ch")
	}})
	reload := func(change func(*config.Config)) {
		t.Helper()
		c := *g.cfg
		change(&c)
		if err := g.App.ReloadPolicy(&c); err != nil {
			t.Fatal(err)
		}
	}
	c := g.registerPublic(t)
	back := g.signIn(t, newBrowser(t), g.authorizeURL(c, func(q url.Values) { q.Set("scope", "mcp mcp:write") }))
	res := g.exchange(t, c, back.Query().Get("code"))
	if res.Status != http.StatusOK || res.Scope != "mcp mcp:write" {
		t.Fatalf("sign-in: got %d scope %q, want mcp mcp:write (the writers rule selects %s)", res.Status, res.Scope, g.IdP.Email)
	}

	reload(func(c *config.Config) { c.Policy.Rules = writers("someone-else@zitadel.ch") })
	res = g.refresh(t, c, res.RefreshToken)
	if res.Status != http.StatusOK || res.Scope != "mcp" {
		t.Fatalf("refresh after the rule changed: got %d scope %q (%s), want 200 with mcp only", res.Status, res.Scope, res.Error)
	}

	reload(func(c *config.Config) { c.Policy.SignIn.AllowedEmailDomains = []string{"other.example"} })
	res = g.refresh(t, c, res.RefreshToken)
	if res.Status != http.StatusBadRequest || res.Error != "invalid_grant" {
		t.Fatalf("refresh after the sign-in policy changed: got %d %q, want 400 invalid_grant", res.Status, res.Error)
	}

	// A policy that fails validation is refused and the one in force stays.
	bad := *g.cfg
	bad.Policy.Rules = []config.Rule{{Name: "x"}}
	if err := g.App.ReloadPolicy(&bad); err == nil {
		t.Fatal("got nil, want a rule that allows and denies nothing refused")
	}
	if n := g.App.Policy.Load().Rules(); n != 2 {
		t.Errorf("after a refused reload: got %d rules in force, want the previous 2", n)
	}
}

// TestNarrowerRefreshKeepsTheGrant: RFC 6749 §6: a refresh asking for
// fewer scopes narrows that access token, not the grant; the next refresh
// without a scope gets them all again.
func TestNarrowerRefreshKeepsTheGrant(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.MCP.Scopes = []string{"mcp", "mcp:write"} }})
	c := g.registerPublic(t)
	back := g.signIn(t, newBrowser(t), g.authorizeURL(c, func(q url.Values) { q.Set("scope", "mcp mcp:write") }))
	res := g.exchange(t, c, back.Query().Get("code"))
	if res.Scope != "mcp mcp:write" {
		t.Fatalf("sign-in: scope %q", res.Scope)
	}
	narrow := g.tokenRequest(t, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {res.RefreshToken}, "scope": {"mcp"}, "resource": {g.resource()}})
	if narrow.Status != http.StatusOK || narrow.Scope != "mcp" {
		t.Fatalf("narrower refresh: %d scope %q", narrow.Status, narrow.Scope)
	}
	again := g.refresh(t, c, narrow.RefreshToken)
	if again.Status != http.StatusOK || again.Scope != "mcp mcp:write" {
		t.Errorf("next refresh: %d scope %q, want the grant's mcp mcp:write again", again.Status, again.Scope)
	}
}
