package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// TestGoSDKClientSignsIn drives the go-sdk's own OAuth client through
// mcpgate: discovery from the MCP endpoint's 401, DCR, consent, the real
// upstream login, code exchange; then checks the token against /jwks alone.
func TestGoSDKClientSignsIn(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	b := newBrowser(t)
	const redirectURI = "http://127.0.0.1:7777/callback"
	var fetched int
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{
				ClientName:              "go-sdk e2e",
				RedirectURIs:            []string{redirectURI},
				TokenEndpointAuthMethod: "none",
				GrantTypes:              []string{"authorization_code", "refresh_token"},
			},
		},
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			fetched++
			back := g.signIn(t, b, args.URL)
			q := back.Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unauthenticated MCP request: got status %d, want 401", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.Authorize(ctx, req, resp); err != nil {
		t.Fatalf("go-sdk Authorize: %v", err)
	}
	if fetched != 1 {
		t.Fatalf("authorization code fetched %d times, want 1", fetched)
	}
	ts, err := h.TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}

	claims := verifyWithJWKS(t, g.URL+"/jwks", tok.AccessToken)
	if claims.Audience != g.resource() {
		t.Errorf("aud: got %q, want %q", claims.Audience, g.resource())
	}
	if want := g.IdP.Issuer() + "#" + g.IdP.Subject; claims.Subject != want {
		t.Errorf("sub: got %q, want %q", claims.Subject, want)
	}
	if claims.ClientID == "" || claims.ClientID != clientIDOf(t, g, claims.ClientID) {
		t.Errorf("client_id: got %q, want the registered client", claims.ClientID)
	}
	if claims.Issuer != g.URL {
		t.Errorf("iss: got %q, want %q", claims.Issuer, g.URL)
	}
	if claims.Email != g.IdP.Email {
		t.Errorf("email: got %q, want %q", claims.Email, g.IdP.Email)
	}
	now := time.Now().Unix()
	if claims.Expiry <= now || claims.Expiry > now+3600+5 {
		t.Errorf("exp: got %d, want within an hour of %d", claims.Expiry, now)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token issued")
	}

	// The token opens the MCP endpoint (no 401 any more).
	req2, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{}`))
	req2.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp2, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode == http.StatusUnauthorized {
		t.Errorf("MCP request with the issued token: got 401")
	}
}

// verifyWithJWKS checks an access token's signature with nothing but the
// published key set, as a resource server elsewhere would.
func verifyWithJWKS(t *testing.T, jwksURL, token string) oauth.AccessClaims {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	if typ, _ := jws.Signatures[0].Header.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" {
		t.Errorf("typ: got %q, want at+jwt", typ)
	}
	var c oauth.AccessClaims
	if err := json.Unmarshal(verifyJWS(t, jwksURL, token), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// clientIDOf confirms id is a client mcpgate knows.
func clientIDOf(t *testing.T, g *gateway, id string) string {
	t.Helper()
	c, err := g.App.Store.GetClient(context.Background(), id)
	if err != nil {
		t.Fatalf("client %q not in store: %v", id, err)
	}
	return c.ID
}
