package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
)

// TestRememberedConsentCoversOnlyWhatWasApproved: a user who approved a
// client for mcp:read is not asked again for mcp:read, but a request for
// mcp:read mcp:write shows the consent page again, naming mcp:write as
// new; once approved, both are remembered.
func TestRememberedConsentCoversOnlyWhatWasApproved(t *testing.T) {
	// Every authorization goes upstream here: the test is about consent,
	// not the session (TestOneSignIn covers that).
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.MCP.Scopes = []string{"mcp:read", "mcp:write"}
		c.Session.ReuseSignIn = false
	}})
	c := g.registerPublic(t)
	b := newBrowser(t)
	withScope := func(scope string) string {
		return g.authorizeURL(c, func(q url.Values) { q.Set("scope", scope) })
	}
	// signInWith completes a sign-in whose consent page, if any, was
	// already dealt with, and returns the granted scope.
	finish := func(upstreamURL string) string {
		t.Helper()
		cb, err := g.IdP.Login(context.Background(), b.client, upstreamURL)
		if err != nil {
			t.Fatalf("upstream login: %v", err)
		}
		back := g.followCallback(t, b, cb.String())
		res := g.exchange(t, c, back.Query().Get("code"))
		if res.Status != http.StatusOK {
			t.Fatalf("exchange: %d %s", res.Status, res.Error)
		}
		return res.Scope
	}
	approve := func(page string) string {
		t.Helper()
		reqID, csrf := consentForm(t, page)
		resp := b.postForm(g.URL+"/consent", url.Values{"request": {reqID}, "csrf": {csrf}, "decision": {"approve"}})
		readBody(t, resp)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("consent: %d", resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}

	// First time: asked, for mcp:read.
	resp := b.get(withScope("mcp:read"))
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || strings.Contains(page, "allowed this application before") {
		t.Fatalf("first request: got %d, want a plain consent page", resp.StatusCode)
	}
	if got := finish(approve(page)); got != "mcp:read" {
		t.Fatalf("granted %q, want mcp:read", got)
	}

	// The same again: remembered.
	resp = b.get(withScope("mcp:read"))
	readBody(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("mcp:read again: got %d, want straight to the IdP", resp.StatusCode)
	}
	finish(resp.Header.Get("Location"))

	// More than was approved: asked again, naming what is new.
	resp = b.get(withScope("mcp:read mcp:write"))
	page = readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mcp:read mcp:write: got %d %s, want the consent page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !strings.Contains(page, "allowed this application before") || !strings.Contains(page, "also asks for <code>mcp:write</code>") {
		t.Errorf("the consent page does not say what is new:\n%s", page)
	}
	if got := finish(approve(page)); got != "mcp:read mcp:write" {
		t.Fatalf("granted %q, want mcp:read mcp:write", got)
	}

	// Both are remembered now, alone or together.
	for _, scope := range []string{"mcp:write", "mcp:read mcp:write"} {
		resp = b.get(withScope(scope))
		readBody(t, resp)
		if resp.StatusCode != http.StatusFound {
			t.Errorf("%s after approving both: got %d, want straight to the IdP", scope, resp.StatusCode)
			continue
		}
		finish(resp.Header.Get("Location"))
	}
}
