//go:build linux

package interop_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// testGoSDK runs the go-sdk client: its AuthorizationCodeHandler does
// discovery, DCR, PKCE and the code exchange when the Streamable HTTP
// transport meets mcpgate's 401; the browser part goes through consent
// and oidc-provider's login.
func testGoSDK(t *testing.T, s *stack) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sdk := newGoSDKAuth(t, "mcpgate interop: go-sdk", "http://127.0.0.1:7777/go-sdk/callback", nil)
	h := sdk.handler
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-interop-go-sdk", Version: "1.0.0"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: s.resource(), OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect: %v", redact(err.Error()))
	}
	defer session.Close()
	if n := sdk.fetched.Load(); n != 1 {
		t.Errorf("authorization code fetched %d times, want 1", n)
	}
	if got := session.InitializeResult().ServerInfo.Name; got != "mcp-conformance-test-server" {
		t.Errorf("server: got %q, want mcp-conformance-test-server", got)
	}

	tools, err := session.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	if !slices.Contains(names, "test_simple_text") {
		t.Errorf("tools: got %v, want test_simple_text among them", names)
	}

	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "test_simple_text"})
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	if len(res.Content) != 1 {
		t.Fatalf("tools/call: got %d content blocks, want 1", len(res.Content))
	}
	if text, ok := res.Content[0].(*mcp.TextContent); !ok || text.Text != simpleText {
		t.Errorf("tools/call: got %#v, want text %q", res.Content[0], simpleText)
	}

	tok := sdk.token(ctx, t)
	s.checkIdentity(t, claimsOf(t, tok.AccessToken))
}

// goSDKAuth is the go-sdk client's OAuth handler (discovery, DCR, PKCE,
// code exchange, step-up), its browser part driven through consent and
// oidc-provider's login.
type goSDKAuth struct {
	handler *auth.AuthorizationCodeHandler
	// fetched counts authorizations; asked are the scopes each asked for.
	// The fetcher may run on the transport's goroutine.
	fetched atomic.Int32
	mu      sync.Mutex
	asked   []string
}

func newGoSDKAuth(t *testing.T, name, redirectURI string, scopeFilter func([]string) []string) *goSDKAuth {
	return newGoSDKAuthIn(t, newBrowser(), name, redirectURI, scopeFilter)
}

// newGoSDKAuthIn is newGoSDKAuth signing in through browser b, which
// several handlers may share (one browser session).
func newGoSDKAuthIn(t *testing.T, b *browser, name, redirectURI string, scopeFilter func([]string) []string) *goSDKAuth {
	t.Helper()
	a := &goSDKAuth{}
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{
				ClientName:              name,
				RedirectURIs:            []string{redirectURI},
				TokenEndpointAuthMethod: "none",
				GrantTypes:              []string{"authorization_code", "refresh_token"},
			},
		},
		ScopeFilter: scopeFilter,
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			a.fetched.Add(1)
			if u, err := url.Parse(args.URL); err == nil {
				a.mu.Lock()
				a.asked = append(a.asked, u.Query().Get("scope"))
				a.mu.Unlock()
			}
			back, err := b.signIn(ctx, args.URL, redirectURI)
			if err != nil {
				return nil, err
			}
			q := back.Query()
			if q.Get("code") == "" {
				return nil, errors.New("no code in the redirect (error=" + q.Get("error") + ")")
			}
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.handler = h
	return a
}

// token is the handler's current token, its secrets kept out of logs.
func (a *goSDKAuth) token(ctx context.Context, t *testing.T) *oauth2.Token {
	t.Helper()
	ts, err := a.handler.TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	addSecret(tok.AccessToken)
	addSecret(tok.RefreshToken)
	return tok
}
