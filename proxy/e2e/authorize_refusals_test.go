package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
)

// authorizeRefusal is a malformed authorization request and the error it
// gets.
type authorizeRefusal struct {
	name string
	edit func(url.Values)
	// wantError is the error code; empty means an error page even for a
	// configured client (the redirect URI itself cannot be trusted), of
	// status wantPage.
	wantError string
	wantPage  int
}

func authorizeRefusals(c client) []authorizeRefusal {
	return []authorizeRefusal{
		{name: "missing PKCE", edit: func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, wantError: "invalid_request"},
		{name: "plain PKCE", edit: func(q url.Values) { q.Set("code_challenge", c.Verifier); q.Set("code_challenge_method", "plain") }, wantError: "invalid_request"},
		{name: "PKCE method missing", edit: func(q url.Values) { q.Del("code_challenge_method") }, wantError: "invalid_request"},
		{name: "malformed challenge", edit: func(q url.Values) { q.Set("code_challenge", "short") }, wantError: "invalid_request"},
		{name: "wrong resource", edit: func(q url.Values) { q.Set("resource", "https://other.example.com/mcp") }, wantError: "invalid_target"},
		{name: "two resources", edit: func(q url.Values) { q.Add("resource", "https://other.example.com/mcp") }, wantError: "invalid_target"},
		{name: "token response type", edit: func(q url.Values) { q.Set("response_type", "token") }, wantError: "unsupported_response_type"},
		{name: "unknown response type", edit: func(q url.Values) { q.Set("response_type", "x") }, wantError: "unsupported_response_type"},
		{name: "unregistered redirect URI", edit: func(q url.Values) { q.Set("redirect_uri", "https://evil.example.com/cb") }, wantPage: http.StatusBadRequest},
		{name: "redirect URI on another loopback path", edit: func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:7777/other") }, wantPage: http.StatusBadRequest},
		{name: "unknown client", edit: func(q url.Values) { q.Set("client_id", "no-such-client") }, wantPage: http.StatusBadRequest},
		{name: "no client", edit: func(q url.Values) { q.Del("client_id") }, wantPage: http.StatusBadRequest},
		{name: "repeated parameter", edit: func(q url.Values) { q.Add("state", "second") }, wantPage: http.StatusBadRequest},
	}
}

const configuredClientID = "configured-client"

func withConfiguredClient(c *config.Config) {
	c.Clients = append(c.Clients, config.Client{ID: configuredClientID, Name: "Configured", RedirectURIs: []string{"http://127.0.0.1:7777/callback"}})
}

// TestAuthorizeRefusals: each malformed authorization request from a
// client the operator configured is refused with the standard error, sent
// back to its registered redirect URI with state and iss; a redirect URI
// that is not registered gets an error page instead.
func TestAuthorizeRefusals(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: withConfiguredClient})
	c := client{ID: configuredClientID, RedirectURI: "http://127.0.0.1:7777/callback", Verifier: strings.Repeat("v", 50)}
	for _, tt := range authorizeRefusals(c) {
		t.Run(tt.name, func(t *testing.T) {
			resp := newBrowser(t).get(g.authorizeURL(c, tt.edit))
			body := readBody(t, resp)
			if tt.wantError == "" {
				checkErrorPage(t, resp, body, tt.wantPage, "")
				return
			}
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status: got %d, want 302: %s", resp.StatusCode, body)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != c.RedirectURI {
				t.Fatalf("redirected to %s, want %s", got, c.RedirectURI)
			}
			q := loc.Query()
			if q.Get("error") != tt.wantError {
				t.Errorf("error: got %q, want %q", q.Get("error"), tt.wantError)
			}
			if q.Get("state") != "client-state" {
				t.Errorf("state: got %q, want client-state", q.Get("state"))
			}
			if q.Get("iss") != g.URL {
				t.Errorf("iss: got %q, want %q", q.Get("iss"), g.URL)
			}
			if q.Get("code") != "" {
				t.Error("a code came with the error")
			}
		})
	}
}

// TestSelfRegisteredClientErrorsNotRedirected: mcpgate is no open
// redirector (RFC 9700 §4.11.2). A client anyone registered by DCR, naming
// any redirect URI, gets its errors shown on mcpgate's error page, never
// a redirect before the user has signed in and approved it.
func TestSelfRegisteredClientErrorsNotRedirected(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	c := g.registerPublic(t)
	evil := g.register(t, map[string]any{
		"client_name":                "attacker",
		"redirect_uris":              []string{"https://evil.example/landing"},
		"token_endpoint_auth_method": "none",
	})
	t.Run("the reported attack", func(t *testing.T) {
		q := url.Values{"client_id": {evil.ID}, "redirect_uri": {"https://evil.example/landing"}, "response_type": {"x"}}
		resp := newBrowser(t).get(g.URL + "/authorize?" + q.Encode())
		checkErrorPage(t, resp, readBody(t, resp), http.StatusBadRequest, "unsupported_response_type")
	})
	for _, tt := range authorizeRefusals(c) {
		t.Run(tt.name, func(t *testing.T) {
			resp := newBrowser(t).get(g.authorizeURL(c, tt.edit))
			checkErrorPage(t, resp, readBody(t, resp), http.StatusBadRequest, tt.wantError)
		})
	}
}

// checkErrorPage checks for mcpgate's HTML error page, naming code when
// one is given, and no redirect.
func checkErrorPage(t *testing.T, resp *http.Response, body string, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, status, resp.Header.Get("Location"))
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Fatalf("redirected to %s, want an error page", loc)
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<h1>") {
		t.Fatalf("want an HTML error page, got %q", body)
	}
	if code != "" && !strings.Contains(body, code) {
		t.Errorf("the page does not name the error %s", code)
	}
}

// TestConsentDenied: denying returns access_denied to the client, and the
// consent page is protected against framing and forged posts.
func TestConsentDenied(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	c := g.registerPublic(t)
	b := newBrowser(t)
	resp := b.get(g.authorizeURL(c, nil))
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: got %d, want the consent page", resp.StatusCode)
	}
	for header, want := range map[string]string{"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"} {
		if got := resp.Header.Get(header); !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want it to contain %q", header, got, want)
		}
	}
	for _, want := range []string{`<form method="post"`, `<button type="submit" name="decision" value="approve"`, `name="decision" value="deny"`, "test client", "127.0.0.1:7777", "mcp", "chose this name itself"} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	reqID, csrf := consentForm(t, page)

	t.Run("forged CSRF token", func(t *testing.T) {
		resp := b.postForm(g.URL+"/consent", url.Values{"request": {reqID}, "csrf": {"forged"}, "decision": {"approve"}})
		readBody(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("got %d, want 403", resp.StatusCode)
		}
	})
	t.Run("post from another browser", func(t *testing.T) {
		resp := newBrowser(t).postForm(g.URL+"/consent", url.Values{"request": {reqID}, "csrf": {csrf}, "decision": {"approve"}})
		readBody(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("got %d, want 403", resp.StatusCode)
		}
	})
	t.Run("deny", func(t *testing.T) {
		resp := b.postForm(g.URL+"/consent", url.Values{"request": {reqID}, "csrf": {csrf}, "decision": {"deny"}})
		readBody(t, resp)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		q := loc.Query()
		if resp.StatusCode != http.StatusFound || q.Get("error") != "access_denied" || q.Get("state") != "client-state" || q.Get("iss") != g.URL {
			t.Fatalf("got %d %s, want 302 with error=access_denied, state and iss", resp.StatusCode, loc)
		}
	})
	t.Run("request gone after deny", func(t *testing.T) {
		resp := b.postForm(g.URL+"/consent", url.Values{"request": {reqID}, "csrf": {csrf}, "decision": {"approve"}})
		readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("got %d, want 400", resp.StatusCode)
		}
	})
}
