package e2e_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// TestIDJAGGrant: enterprise-managed authorization. A test IdP (a real
// signing key, its JWKS served over HTTP) issues an ID-JAG for its user
// to the configured client "agent"; the client redeems it at /token with
// the jwt-bearer grant, with no browser sign-in, and calls tools under
// that user's policy. Every refusal is the exact OAuth error.
func TestIDJAGGrant(t *testing.T) {
	backend := startToolsBackend(t)
	const email = "ada@example.com"
	g, hostile := startHostileGatewayWith(t, nil, func(c *config.Config) {
		c.Backend.URL = backend
		c.MCP.Scopes = []string{"mcp", "mcp:write"}
		c.Clients = append(c.Clients,
			config.Client{ID: "agent", Name: "Corp agent", Secret: "agent-secret", RedirectURIs: []string{"https://agent.example.com/cb"}},
			config.Client{ID: "other-agent", Name: "Other agent", Secret: "other-secret", RedirectURIs: []string{"https://other.example.com/cb"}})
		c.Upstream.IDJAGClients = []string{"agent"}
		c.Policy.SignIn.AllowedEmailDomains = []string{"example.com"}
		c.Policy.Rules = []config.Rule{{Name: "ada", Emails: []string{email}, Allow: config.Permissions{Tools: []string{"echo"}}}}
	})
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	claims := func(change func(map[string]any)) map[string]any {
		now := time.Now()
		c := map[string]any{
			"iss": hostile.Issuer(), "sub": "ada-1", "aud": g.URL, "client_id": "agent", "resource": g.resource(),
			"jti": oauth.NewSecret(), "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
			"email": email, "email_verified": true, "scope": "mcp",
		}
		if change != nil {
			change(c)
		}
		return c
	}
	jag := func(change func(map[string]any)) string {
		return hostile.SignTyped(hostile.Key(), "oauth-id-jag+jwt", claims(change))
	}
	redeem := func(clientID, secret, assertion string, extra url.Values) tokenResult {
		form := url.Values{"grant_type": {oauth.GrantJWTBearer}, "assertion": {assertion}}
		for k, v := range extra {
			form[k] = v
		}
		return g.postToken(t, form, clientID, secret)
	}

	good := jag(nil)
	res := redeem("agent", "agent-secret", good, nil)
	if res.AccessToken == "" || res.RefreshToken != "" || res.Scope != "mcp" {
		t.Fatalf("ID-JAG redeemed: %d %s (access token %v, refresh token %v, scope %q)", res.Status, res.Error, res.AccessToken != "", res.RefreshToken != "", res.Scope)
	}
	cs := bearerSession(t, g.resource(), res.AccessToken)
	if text, err := callHi(cs, "echo"); err != nil || text != "hi" {
		t.Errorf("echo with the ID-JAG's token: %q %v", text, err)
	}
	if _, err := callHi(cs, "write_note"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("a tool the user's policy does not allow: %v, want permission denied", err)
	}
	// The grant is on the user's account page, where revoking the client
	// ends it.
	grants, err := g.App.Store.GrantsOf(context.Background(), hostile.Issuer()+"#ada-1")
	if err != nil || len(grants) != 1 || grants[0].ClientID != "agent" {
		t.Errorf("the user's grants: %+v %v, want the agent's", grants, err)
	}
	meta := readBody(t, mustGet(t, g.URL+"/.well-known/oauth-authorization-server"))
	if !strings.Contains(meta, oauth.GrantJWTBearer) {
		t.Errorf("the metadata does not advertise the jwt-bearer grant:\n%s", meta)
	}

	tests := []struct {
		name             string
		client, secret   string
		assertion        func() string
		extra            url.Values
		wantStatus       int
		wantError, wantD string
	}{
		{name: "replayed jti", client: "agent", secret: "agent-secret", assertion: func() string { return good },
			wantError: "invalid_grant", wantD: "already used"},
		{name: "wrong audience", client: "agent", secret: "agent-secret",
			assertion: func() string { return jag(func(c map[string]any) { c["aud"] = "https://another-server.example.com" }) },
			wantError: "invalid_grant", wantD: "could not be verified"},
		{name: "untrusted issuer", client: "agent", secret: "agent-secret",
			assertion: func() string { return jag(func(c map[string]any) { c["iss"] = "https://evil.example.com" }) },
			wantError: "invalid_grant", wantD: "issuer is not trusted"},
		{name: "signed by another key", client: "agent", secret: "agent-secret",
			assertion: func() string { return hostile.SignTyped(other, "oauth-id-jag+jwt", claims(nil)) },
			wantError: "invalid_grant", wantD: "could not be verified"},
		{name: "another client's assertion", client: "agent", secret: "agent-secret",
			assertion: func() string { return jag(func(c map[string]any) { c["client_id"] = "other-agent" }) },
			wantError: "invalid_grant", wantD: "issued to another client"},
		{name: "a client the IdP may not speak for", client: "other-agent", secret: "other-secret",
			assertion: func() string { return jag(func(c map[string]any) { c["client_id"] = "other-agent" }) },
			wantError: "invalid_grant", wantD: "may not grant this client"},
		{name: "expired", client: "agent", secret: "agent-secret",
			assertion: func() string {
				return jag(func(c map[string]any) {
					c["iat"], c["exp"] = time.Now().Add(-10*time.Minute).Unix(), time.Now().Add(-5*time.Minute).Unix()
				})
			},
			wantError: "invalid_grant", wantD: "could not be verified"},
		{name: "living too long", client: "agent", secret: "agent-secret",
			assertion: func() string { return jag(func(c map[string]any) { c["exp"] = time.Now().Add(24 * time.Hour).Unix() }) },
			wantError: "invalid_grant", wantD: "could not be verified"},
		{name: "unknown resource", client: "agent", secret: "agent-secret",
			assertion: func() string {
				return jag(func(c map[string]any) { c["resource"] = "https://elsewhere.example.com/mcp" })
			},
			wantError: "invalid_target"},
		{name: "resource parameter disagreeing", client: "agent", secret: "agent-secret", assertion: func() string { return jag(nil) },
			extra: url.Values{"resource": {g.URL + "/other"}}, wantError: "invalid_target"},
		{name: "an ID token, not an ID-JAG", client: "agent", secret: "agent-secret",
			assertion: func() string { return hostile.Sign(hostile.Key(), claims(nil)) },
			wantError: "invalid_grant", wantD: "could not be verified"},
		{name: "scope beyond the grant", client: "agent", secret: "agent-secret", assertion: func() string { return jag(nil) },
			extra: url.Values{"scope": {"mcp mcp:write"}}, wantError: "invalid_scope"},
		{name: "a user the sign-in policy refuses", client: "agent", secret: "agent-secret",
			assertion: func() string { return jag(func(c map[string]any) { c["email"] = "eve@outside.example" }) },
			wantError: "invalid_grant", wantD: "sign-in policy"},
		{name: "no assertion", client: "agent", secret: "agent-secret", assertion: func() string { return "" },
			wantError: "invalid_request"},
		{name: "wrong client secret", client: "agent", secret: "wrong", assertion: func() string { return jag(nil) },
			wantStatus: http.StatusUnauthorized, wantError: "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := redeem(tt.client, tt.secret, tt.assertion(), tt.extra)
			want := tt.wantStatus
			if want == 0 {
				want = http.StatusBadRequest
			}
			if r.Status != want || r.Error != tt.wantError || !strings.Contains(r.Description, tt.wantD) || r.AccessToken != "" {
				t.Errorf("got %d %s %q, want %d %s mentioning %q", r.Status, r.Error, r.Description, want, tt.wantError, tt.wantD)
			}
		})
	}
}

func mustGet(t *testing.T, u string) *http.Response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// bearerSession is a go-sdk client session to url with a fixed token.
func bearerSession(t *testing.T, url, token string) *mcp.ClientSession {
	t.Helper()
	hc := &http.Client{Transport: bearer{token: token}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil).
		Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// callHi calls name with text "hi" and returns the text it answered.
func callHi(cs *mcp.ClientSession, name string) (string, error) {
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: map[string]any{"text": "hi"}})
	if err != nil {
		return "", err
	}
	if len(res.Content) == 0 {
		return "", nil
	}
	text, _ := res.Content[0].(*mcp.TextContent)
	if text == nil {
		return "", nil
	}
	return text.Text, nil
}
