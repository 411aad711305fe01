package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/app"
	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// TestReplicas: three replicas behind a round-robin balancer. The go-sdk
// client registers, signs in, calls tools and refreshes with each step on
// another replica than the one before; keys rotate under load; replicas are
// killed and the client carries on through the others without losing a
// refresh token.
func TestReplicas(t *testing.T) {
	for name, storeURL := range sharedStores() {
		t.Run(name, func(t *testing.T) {
			url := storeURL(t)
			rs := startReplicas(t, url, 3)
			g := rs.gateway()
			st := openSharedStore(t, url)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()

			start := time.Now()
			phase := func(name string) { t.Logf("%-28s %v", name, time.Since(start).Round(time.Millisecond)) }
			// Sign in with the go-sdk client and call tools.
			session, ts := connectGoSDK(t, ctx, g)
			callTool(t, ctx, session, "protected-data", g.IdP.Email)
			steps := rs.takeLog()
			if len(steps) < 8 {
				t.Fatalf("sign-in made %d requests, want the whole flow through the balancer", len(steps))
			}
			for i := 1; i < len(steps); i++ {
				if steps[i] == steps[i-1] {
					t.Fatalf("requests %d and %d both served by replica %d: %v", i-1, i, steps[i], steps)
				}
			}
			phase("signed in, tools called")
			tok, err := ts.Token()
			if err != nil {
				t.Fatal(err)
			}
			c := client{ID: verifyWithJWKS(t, g.URL+"/jwks", tok.AccessToken).ClientID}
			refreshToken := tok.RefreshToken

			// A key rotation while the client keeps refreshing and calling.
			kidBefore := keyID(t, tok.AccessToken)
			rotate := exec.Command(rs.bin, "keys", "rotate")
			rotate.Env = append(append([]string(nil), rs.env...), "MCPGATE_LISTEN=127.0.0.1:0")
			if out, err := rotate.CombinedOutput(); err != nil {
				t.Fatalf("keys rotate: %v\n%s", err, out)
			}
			var kidAfter string
			deadline := time.Now().Add(6 * time.Second)
			for n := 0; time.Now().Before(deadline); n++ {
				res := g.refresh(t, c, refreshToken)
				if res.Status != http.StatusOK {
					t.Fatalf("refresh %d during rotation: %d %s", n, res.Status, res.Error)
				}
				refreshToken = res.RefreshToken
				if status := mcpStatus(t, g, res.AccessToken); status == http.StatusUnauthorized {
					t.Fatalf("request %d during rotation: token refused", n)
				}
				kidAfter = keyID(t, res.AccessToken)
				time.Sleep(200 * time.Millisecond)
			}
			if kidAfter == kidBefore {
				t.Errorf("after the rotation tokens are still signed by %s, want the new key", kidBefore)
			}

			phase("rotation")
			// A replica dies; the client carries on through the others.
			rs.kill(0)
			res := g.refresh(t, c, refreshToken)
			if res.Status != http.StatusOK {
				t.Fatalf("refresh after a replica died: %d %s", res.Status, res.Error)
			}
			refreshToken = res.RefreshToken
			callTool(t, ctx, session, "public-info", "demo backend")

			// kill -9 in the middle of a burst of refreshes: every token the
			// client received is known to the store, and the family lives.
			received := []string{refreshToken}
			for n := range 30 {
				if n == 10 {
					rs.kill(1)
				}
				res := g.refresh(t, c, refreshToken)
				if res.Status != http.StatusOK {
					// What a client does on a failed request: retry the same
					// token, which the grace window accepts.
					res = g.refresh(t, c, refreshToken)
				}
				if res.Status != http.StatusOK {
					t.Fatalf("refresh %d of the burst: %d %q", n, res.Status, res.Error)
				}
				refreshToken = res.RefreshToken
				received = append(received, refreshToken)
			}
			phase("burst with kill -9")
			for i, rt := range received {
				if _, err := st.GetRefreshToken(ctx, oauth.Hash(rt)); err != nil {
					t.Errorf("refresh token %d the client received is unknown to the store: %v", i, err)
				}
			}
			if res := g.refresh(t, c, refreshToken); res.Status != http.StatusOK {
				t.Errorf("the last refresh token: %d %q, want it to work (no family revoked)", res.Status, res.Error)
			}
		})
	}
}

func openSharedStore(t *testing.T, url string) store.Store {
	t.Helper()
	cfg := config.Default()
	cfg.Store = url
	st, err := app.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// connectGoSDK signs in with the go-sdk client through g and opens an MCP
// session; the handler's token source is returned for the test to refresh.
func connectGoSDK(t *testing.T, ctx context.Context, g *gateway) (*mcp.ClientSession, oauth2.TokenSource) {
	t.Helper()
	b := newBrowser(t)
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{
				ClientName:              "replica test",
				RedirectURIs:            []string{"http://127.0.0.1:7779/callback"},
				TokenEndpointAuthMethod: "none",
				GrantTypes:              []string{"authorization_code", "refresh_token"},
			},
		},
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			q := g.signIn(t, b, args.URL).Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "replica-test", Version: "1"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:     g.resource(),
		HTTPClient:   &http.Client{Timeout: 20 * time.Second},
		OAuthHandler: h,
		// One request at a time, so that the balancer's log shows each
		// step's replica.
		DisableStandaloneSSE: true,
	}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { session.Close() })
	ts, err := h.TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return session, ts
}

func callTool(t *testing.T, ctx context.Context, s *mcp.ClientSession, name, want string) {
	t.Helper()
	res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: name})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	if text := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(text, want) || res.IsError {
		t.Fatalf("call %s: got %q, want it to contain %q", name, text, want)
	}
}

func keyID(t *testing.T, token string) string {
	t.Helper()
	header, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}
