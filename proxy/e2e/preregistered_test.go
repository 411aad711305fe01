package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/config"
)

// TestPreregisteredClients: clients from the configuration sign in with
// the go-sdk client; a trusted one skips the consent page; a
// confidential one must present its secret.
func TestPreregisteredClients(t *testing.T) {
	const redirectURI = "http://127.0.0.1:7782/callback"
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Clients = []config.Client{
			{ID: "team-tool", Name: "Team tool", Secret: "team-tool-secret", RedirectURIs: []string{redirectURI}},
			{ID: "first-party", Name: "Our CLI", RedirectURIs: []string{redirectURI}, Trusted: true},
		}
		c.Registration.DynamicEnabled = false
	}})

	t.Run("go-sdk with a pre-registered confidential client", func(t *testing.T) {
		b := newBrowser(t)
		h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
			PreregisteredClient: &oauthex.ClientCredentials{
				ClientID:         "team-tool",
				ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: "team-tool-secret"},
			},
			RedirectURL: redirectURI,
			AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
				q := g.signIn(t, b, args.URL).Query()
				return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if claims := verifyWithJWKS(t, g.URL+"/jwks", authorizeWith(t, g, h)); claims.ClientID != "team-tool" {
			t.Errorf("client_id: got %q, want team-tool", claims.ClientID)
		}
	})

	t.Run("confidential client without its secret", func(t *testing.T) {
		c := client{ID: "team-tool", RedirectURI: redirectURI, Verifier: strings.Repeat("p", 50)}
		code := g.code(t, c)
		if res := g.exchange(t, c, code); res.Status != http.StatusUnauthorized || res.Error != "invalid_client" {
			t.Fatalf("got %d %q, want 401 invalid_client", res.Status, res.Error)
		}
	})

	t.Run("trusted client needs no consent", func(t *testing.T) {
		c := client{ID: "first-party", RedirectURI: redirectURI, Verifier: strings.Repeat("q", 50)}
		resp := newBrowser(t).get(g.authorizeURL(c, nil))
		readBody(t, resp)
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), g.IdP.Issuer()) {
			t.Fatalf("got %d to %q, want straight to the IdP", resp.StatusCode, resp.Header.Get("Location"))
		}
		if res := g.exchange(t, c, g.code(t, c)); res.Status != http.StatusOK {
			t.Fatalf("exchange: %d %s", res.Status, res.Error)
		}
	})

	t.Run("registration disabled", func(t *testing.T) {
		resp, err := http.Post(g.URL+"/register", "application/json", strings.NewReader(`{"redirect_uris":["http://127.0.0.1:1/cb"]}`))
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("got %d, want 403", resp.StatusCode)
		}
	})
}
