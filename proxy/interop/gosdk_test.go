//go:build linux

package interop_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

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
	const redirectURI = "http://127.0.0.1:7777/go-sdk/callback"
	b := newBrowser()
	// The fetcher may run on the transport's goroutine.
	var fetched atomic.Int32
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{
				ClientName:              "mcpgate interop: go-sdk",
				RedirectURIs:            []string{redirectURI},
				TokenEndpointAuthMethod: "none",
				GrantTypes:              []string{"authorization_code", "refresh_token"},
			},
		},
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			fetched.Add(1)
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

	client := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-interop-go-sdk", Version: "1.0.0"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: s.resource(), OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect: %v", redact(err.Error()))
	}
	defer session.Close()
	if n := fetched.Load(); n != 1 {
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

	ts, err := h.TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	addSecret(tok.AccessToken)
	addSecret(tok.RefreshToken)
	s.checkIdentity(t, claimsOf(t, tok.AccessToken))
}
