package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// TestRememberedConsentExpires: session.consent_ttl and session.ttl bound
// how long mcpgate skips the consent page for a browser's user.
func TestRememberedConsentExpires(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*config.Config)
	}{
		{name: "consent_ttl", mutate: func(c *config.Config) { c.Session.ConsentTTL = time.Second; c.Session.ReuseSignIn = false }},
		{name: "session ttl", mutate: func(c *config.Config) { c.Session.TTL = time.Second; c.Session.ReuseSignIn = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGateway(t, gatewayOptions{mutate: tt.mutate})
			c := g.registerPublic(t)
			b := newBrowser(t)
			g.signIn(t, b, g.authorizeURL(c, nil))
			resp := b.get(g.authorizeURL(c, nil))
			readBody(t, resp)
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), g.IdP.Issuer()) {
				t.Fatalf("right after signing in: got %d, want consent remembered (a redirect upstream)", resp.StatusCode)
			}
			time.Sleep(1100 * time.Millisecond)
			resp = b.get(g.authorizeURL(c, nil))
			page := readBody(t, resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, `value="approve"`) {
				t.Fatalf("after the TTL: got %d, want the consent page again", resp.StatusCode)
			}
		})
	}
}

// TestScheduledKeyRotation: with tokens.key_rotation set, a running
// gateway publishes a new key by itself, and tokens signed before keep
// verifying.
func TestScheduledKeyRotation(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Tokens.KeyRotation = 2 * time.Second
		c.Tokens.KeyReloadInterval = 200 * time.Millisecond
	}})
	before := g.accessToken(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.App.Run(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(g.URL + "/jwks")
		if err != nil {
			t.Fatal(err)
		}
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		json.NewDecoder(resp.Body).Decode(&set)
		resp.Body.Close()
		if len(set.Keys) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new key published within 10 s (JWKS has %d)", len(set.Keys))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if status := mcpStatus(t, g, before); status == http.StatusUnauthorized {
		t.Error("a token signed before the rotation is refused")
	}
	verifyWithJWKS(t, g.URL+"/jwks", before)
}
