package e2e_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/config"
	mcpclient "github.com/mcpgate/mcpgate/proxy/client"
	"github.com/mcpgate/mcpgate/proxy/client/bridge"
)

// startToolsBackend is a go-sdk MCP server with echo and write_note.
func startToolsBackend(t *testing.T) string {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "tools-backend", Version: "1"}, nil)
	type in struct {
		Text string `json:"text"`
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, a in) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: a.Text}}}, nil, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "write_note"}, func(_ context.Context, _ *mcp.CallToolRequest, a in) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "written: " + a.Text}}}, nil, nil
	})
	ts := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	t.Cleanup(ts.Close)
	return ts.URL
}

// signInBrowser plays the user at the browser for the client: consent at
// mcpgate, login at the IdP, and the final redirect to the client's
// loopback listener. opened counts the sign-ins.
func signInBrowser(t *testing.T, g *gateway, opened *atomic.Int32) mcpclient.Browser {
	return func(ctx context.Context, authURL string) error {
		opened.Add(1)
		go func() {
			b := newBrowser(t)
			upstreamURL := g.approve(t, b, authURL)
			cb, err := g.IdP.Login(ctx, b.client, upstreamURL)
			if err != nil {
				t.Errorf("login at the IdP: %v", err)
				return
			}
			back := g.followCallback(t, b, cb.String())
			resp := b.get(back.String()) // the client's loopback listener
			if body := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, "You are signed in") {
				t.Errorf("the loopback listener answered %d: %s", resp.StatusCode, body)
			}
		}()
		return nil
	}
}

// TestClientSignsIn: the client half against a running mcpgate with a
// real OpenID provider: it discovers, registers by DCR, signs in with
// PKCE through the browser and a loopback listener, keeps the tokens in
// a 0600 file, refreshes them, bridges stdio to the server (listing and
// calling tools), handles a step-up, and logs out, revoking the grant.
func TestClientSignsIn(t *testing.T) {
	backend := startToolsBackend(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = backend
		c.MCP.Scopes = []string{"mcp", "mcp:write"}
	}})
	withPolicy := *g.cfg
	withPolicy.Policy.Rules = []config.Rule{
		{Name: "everyone", Emails: []string{g.IdP.Email}, Allow: config.Permissions{Tools: []string{"echo"}}},
		{Name: "writers", Emails: []string{g.IdP.Email}, Scope: "mcp:write", Allow: config.Permissions{Tools: []string{"write_*"}}},
	}
	if err := g.App.ReloadPolicy(&withPolicy); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var opened atomic.Int32
	c := &mcpclient.Client{
		Store:   &mcpclient.Store{Path: filepath.Join(dir, "mcpgate", "credentials.json")},
		Browser: signInBrowser(t, g, &opened),
		Scopes:  []string{"mcp"}, // least privilege: the step-up adds mcp:write
		Out:     io.Discard,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resource := g.resource()

	creds, err := c.Login(ctx, resource)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if creds.Issuer != g.URL || creds.Registered != "dcr" || creds.RefreshToken == "" || !slices.Contains(creds.Scopes, "mcp") || slices.Contains(creds.Scopes, "mcp:write") {
		t.Errorf("credentials: issuer %q, registered %q, refresh token %v, scopes %v", creds.Issuer, creds.Registered, creds.RefreshToken != "", creds.Scopes)
	}
	if creds.TokenType != "DPoP" || creds.DPoPKey == "" {
		t.Errorf("mcpgate advertises DPoP, so the client's tokens should be bound: token_type %q, key kept %v", creds.TokenType, creds.DPoPKey != "")
	}
	assertFileMode(t, c.Store.Path, 0o600)
	assertFileMode(t, filepath.Dir(c.Store.Path), 0o700|os.ModeDir)

	t.Run("token calls the server", func(t *testing.T) {
		tok, err := c.Token(ctx, resource, false)
		if err != nil || tok != creds.AccessToken {
			t.Fatalf("token: %v (same as issued: %v)", err, tok == creds.AccessToken)
		}
		if status, body := g.postMCP(t, tok, `{"jsonrpc":"2.0","id":1,"method":"ping"}`); status != http.StatusUnauthorized {
			t.Errorf("the DPoP-bound token as a bearer token: %d %s, want 401", status, body)
		}
		h, err := c.AuthorizationHeaders(ctx, resource, http.MethodPost, resource, false)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, resource, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header = h
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Errorf("ping with the token and its proof: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("an expired token is refreshed, the refresh token rotated", func(t *testing.T) {
		expire(t, c.Store, resource)
		tok, err := c.Token(ctx, resource, false)
		if err != nil || tok == creds.AccessToken {
			t.Fatalf("token after expiry: %v (the old one: %v)", err, tok == creds.AccessToken)
		}
		now, _ := c.Store.Get(resource)
		if now.RefreshToken == creds.RefreshToken {
			t.Error("the refresh token was not rotated")
		}
	})

	t.Run("connect lists and calls tools, refreshes, steps up", func(t *testing.T) {
		hostIn, bridgeOut := io.Pipe()
		bridgeIn, hostOut := io.Pipe()
		b := &bridge.Bridge{URL: resource, HTTP: &http.Client{}, Auth: &mcpclient.ServerAuth{Client: c, Resource: resource}, In: bridgeIn, Out: bridgeOut}
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx); bridgeOut.Close() }()
		host := mcp.NewClient(&mcp.Implementation{Name: "stdio-host", Version: "1"}, nil)
		cs, err := host.Connect(ctx, &mcp.IOTransport{Reader: hostIn, Writer: hostOut}, nil)
		if err != nil {
			t.Fatalf("initialize through the bridge: %v", err)
		}
		tools, err := cs.ListTools(ctx, nil)
		if err != nil || len(tools.Tools) != 1 || tools.Tools[0].Name != "echo" {
			t.Fatalf("tools/list: %v %v (want echo only: write_note needs mcp:write)", toolNames(tools), err)
		}
		call := func(name string) string {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{"text": "hi"}})
			if err != nil {
				t.Fatalf("tools/call %s: %v", name, err)
			}
			if res.IsError || len(res.Content) == 0 {
				t.Fatalf("tools/call %s: %+v", name, res)
			}
			return res.Content[0].(*mcp.TextContent).Text
		}
		if got := call("echo"); got != "hi" {
			t.Errorf("echo: %q", got)
		}
		// A token the server refuses (revoked, or expired early) is
		// refreshed, and the call goes through.
		garble(t, c.Store, resource)
		if got := call("echo"); got != "hi" {
			t.Errorf("echo after the token went bad: %q", got)
		}
		before := opened.Load()
		if got := call("write_note"); got != "written: hi" {
			t.Errorf("write_note after the step-up: %q", got)
		}
		if opened.Load() != before+1 {
			t.Errorf("sign-ins for the step-up: %d, want 1", opened.Load()-before)
		}
		if now, _ := c.Store.Get(resource); !strings.Contains(strings.Join(now.Scopes, " "), "mcp:write") {
			t.Errorf("scopes after the step-up: %v", now.Scopes)
		}
		cs.Close()
		hostOut.Close()
		if err := <-done; err != nil {
			t.Errorf("bridge: %v", err)
		}
	})

	t.Run("logout revokes and forgets", func(t *testing.T) {
		last, _ := c.Store.Get(resource)
		if err := c.Logout(ctx, resource); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(c.Store.Path)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{last.AccessToken, last.RefreshToken} {
			if strings.Contains(string(data), secret) {
				t.Error("a token is still in the file after logout")
			}
		}
		if r := g.refresh(t, clientOf(last), last.RefreshToken); r.Status != http.StatusBadRequest || r.Error != "invalid_grant" {
			t.Errorf("the refresh token after logout: %d %s, want invalid_grant", r.Status, r.Error)
		}
		if _, err := c.Token(ctx, resource, false); err == nil {
			t.Error("a token after logout")
		}
	})
}

func toolNames(l *mcp.ListToolsResult) []string {
	if l == nil {
		return nil
	}
	var out []string
	for _, t := range l.Tools {
		out = append(out, t.Name)
	}
	return out
}

func assertFileMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}

// expire makes the stored access token look expired.
func expire(t *testing.T, s *mcpclient.Store, resource string) {
	t.Helper()
	if err := s.Update(resource, func(c *mcpclient.Credentials) (*mcpclient.Credentials, error) {
		c.Expiry = time.Now().Add(-time.Minute)
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// garble replaces the stored access token by one the server refuses,
// leaving its expiry ahead.
func garble(t *testing.T, s *mcpclient.Store, resource string) {
	t.Helper()
	if err := s.Update(resource, func(c *mcpclient.Credentials) (*mcpclient.Credentials, error) {
		c.AccessToken = "not-a-token"
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
}

func clientOf(c *mcpclient.Credentials) client {
	return client{ID: c.ClientID}
}

// TestClientAccountAPI: signed in with the CLI client the operator
// configured, the client lists the user's connected clients and revokes
// one; signed in by DCR (a client the user approved, not the operator's),
// the account API refuses it with a message saying what to do.
func TestClientAccountAPI(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Clients = append(c.Clients, config.Client{ID: "mcpgate-cli", Name: "mcpgate CLI", RedirectURIs: []string{"http://127.0.0.1/callback"}})
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var opened atomic.Int32
	newClient := func(clientID string) *mcpclient.Client {
		return &mcpclient.Client{Store: &mcpclient.Store{Path: filepath.Join(t.TempDir(), "credentials.json")},
			Browser: signInBrowser(t, g, &opened), ClientID: clientID, Out: io.Discard}
	}
	other := g.registerPublic(t)
	otherTokens := g.exchange(t, other, g.code(t, other)) // another client of the same user

	cli := newClient("mcpgate-cli")
	if creds, err := cli.Login(ctx, g.resource()); err != nil || creds.Registered != "preregistered" {
		t.Fatalf("login with the CLI client: %v (%+v)", err, creds)
	}
	clients, err := cli.ConnectedClients(ctx, g.resource())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range clients {
		ids = append(ids, c.ClientID)
	}
	if !slices.Contains(ids, other.ID) || !slices.Contains(ids, "mcpgate-cli") {
		t.Fatalf("connected clients %v, want %s and mcpgate-cli", ids, other.ID)
	}
	if _, err := cli.PersonalTokens(ctx, g.resource()); err != nil {
		t.Errorf("personal tokens: %v", err)
	}
	if err := cli.RevokeClient(ctx, g.resource(), other.ID); err != nil {
		t.Fatal(err)
	}
	if r := g.refresh(t, other, otherTokens.RefreshToken); r.Error != "invalid_grant" {
		t.Errorf("the revoked client's refresh: %d %s, want invalid_grant", r.Status, r.Error)
	}
	if err := cli.RevokeClient(ctx, g.resource(), "no-such-client"); err == nil {
		t.Error("revoking a client that is not connected succeeded")
	}

	dcr := newClient("")
	dcr.NoDPoP = true // --no-dpop: a bearer token for scripts
	if creds, err := dcr.Login(ctx, g.resource()); err != nil || creds.TokenType == "DPoP" || creds.DPoPKey != "" {
		t.Fatalf("login with NoDPoP: %v, token_type %q", err, creds.TokenType)
	}
	if _, err := dcr.ConnectedClients(ctx, g.resource()); !errors.Is(err, mcpclient.ErrNotFirstParty) {
		t.Errorf("the account API with a DCR client's token: %v, want ErrNotFirstParty", err)
	}
}
