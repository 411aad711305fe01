package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

const upstreamTokenHeader = "X-Upstream-Token"

// TestUpstreamTokenToBackend: with backend.upstream_token_header, the
// default backend receives the access token the real OpenID provider
// issued at sign-in, which that provider's userinfo endpoint accepts for
// the user; a backend without the option receives none; what a client
// sends under that name never arrives.
func TestUpstreamTokenToBackend(t *testing.T) {
	withToken, plain := startRecordingBackend(t), startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = withToken.URL
		c.Backend.UpstreamTokenHeader = upstreamTokenHeader
		c.Backends = []config.NamedBackend{{Name: "plain", URL: plain.URL}}
		c.ServiceAccounts = []config.ServiceAccount{{ID: "ci-bot", Secret: "bot-secret-value"}}
	}})
	call := func(resource, token string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, resource, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(upstreamTokenHeader, "forged-by-the-client")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", resource, resp.StatusCode, body)
		}
	}

	call(g.resource(), g.accessToken(t))
	sent := withToken.last().Values(upstreamTokenHeader)
	if len(sent) != 1 || sent[0] == "forged-by-the-client" {
		t.Fatalf("the backend with the option got %q, want the IdP's token alone", sent)
	}
	if sub := userinfoSubject(t, g.IdP.Issuer(), sent[0]); sub != g.IdP.Subject {
		t.Errorf("the IdP's userinfo says the token is %q's, want %q's", sub, g.IdP.Subject)
	}

	call(g.URL+"/mcp/plain", tokenFor(t, g, g.URL+"/mcp/plain", ""))
	if got := plain.last().Values(upstreamTokenHeader); len(got) != 0 {
		t.Errorf("the backend without the option got %q, want none", got)
	}
	if got := plain.last().Get("Authorization"); got != "" {
		t.Errorf("the backend without the option got Authorization %q", got)
	}

	// A service account signed in nowhere: forwarded, with no IdP token.
	bot := g.postToken(t, url.Values{"grant_type": {"client_credentials"}, "resource": {g.resource()}}, "ci-bot", "bot-secret-value")
	if bot.Status != http.StatusOK {
		t.Fatalf("client_credentials: %d %s", bot.Status, bot.Error)
	}
	call(g.resource(), bot.AccessToken)
	if got := withToken.last().Values(upstreamTokenHeader); len(got) != 0 {
		t.Errorf("a service account's request carried %q, want no IdP token", got)
	}
}

// userinfoSubject asks the OpenID provider at issuer whom accessToken is
// for.
func userinfoSubject(t *testing.T, issuer, accessToken string) string {
	t.Helper()
	var disc struct {
		Userinfo string `json:"userinfo_endpoint"`
	}
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(readBody(t, resp)), &disc); err != nil || disc.Userinfo == "" {
		t.Fatalf("discovery: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, disc.Userinfo, nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	var info struct {
		Sub string `json:"sub"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &info) != nil {
		t.Fatalf("userinfo: %d %s", resp.StatusCode, body)
	}
	return info.Sub
}

// tokenIssuingIdP scripts the IdP's token endpoint: every answer has a new
// access token (at-1, at-2, …) living expiresIn seconds, and a refresh
// token unless noRefresh.
type tokenIssuingIdP struct {
	hostile   *oidctest.Hostile
	mu        sync.Mutex
	issued    int
	refreshes int
	expiresIn []int // of the sign-in's token, then of each refresh's
	noRefresh bool
}

func (i *tokenIssuingIdP) token(w http.ResponseWriter, req oidctest.AuthorizeRequest) {
	form, _, _ := i.hostile.LastTokenRequest()
	i.mu.Lock()
	defer i.mu.Unlock()
	claims := i.hostile.ValidClaims(req)
	if form.Get("grant_type") == "refresh_token" {
		i.refreshes++
		delete(claims, "nonce")
	}
	i.issued++
	answer := map[string]any{"access_token": fmt.Sprintf("at-%d", i.issued), "token_type": "Bearer",
		"expires_in": i.expiresIn[min(i.issued, len(i.expiresIn))-1], "id_token": i.hostile.Sign(i.hostile.Key(), claims)}
	if !i.noRefresh {
		answer["refresh_token"] = fmt.Sprintf("rt-%d", i.issued)
	}
	oidctest.WriteJSON(w, http.StatusOK, answer)
}

// TestUpstreamTokenRenewal: an IdP token about to expire is renewed with
// the IdP's refresh token before it is sent, once for 8 concurrent
// requests; one that cannot be renewed gets the client a 401 at the MCP
// endpoint and invalid_grant at its refresh, which sends the user back to
// sign in. In Authorization it goes as a bearer token.
func TestUpstreamTokenRenewal(t *testing.T) {
	start := func(t *testing.T, idp *tokenIssuingIdP) (*gateway, *recordingBackend, tokenResult, client) {
		backend := startRecordingBackend(t)
		g, hostile := startHostileGatewayWith(t, nil, func(c *config.Config) {
			c.Backend.URL = backend.URL
			c.Backend.UpstreamTokenHeader = "Authorization"
		})
		idp.hostile = hostile
		hostile.SetTokenFor(idp.token)
		c := g.registerPublic(t)
		return g, backend, g.exchange(t, c, hostileCode(t, g, c)), c
	}

	t.Run("renewed once, for concurrent requests", func(t *testing.T) {
		idp := &tokenIssuingIdP{expiresIn: []int{1, 3600}} // the sign-in's token is about to expire
		g, backend, tokens, _ := start(t, idp)
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = mcpStatus(t, g, tokens.AccessToken)
			}()
		}
		wg.Wait()
		for i, st := range statuses {
			if st != http.StatusOK {
				t.Errorf("request %d: %d", i, st)
			}
		}
		if got := backend.last().Get("Authorization"); got != "Bearer at-2" {
			t.Errorf("backend got Authorization %q, want the renewed token as Bearer at-2", got)
		}
		idp.mu.Lock()
		defer idp.mu.Unlock()
		if idp.refreshes != 1 {
			t.Errorf("the IdP saw %d refreshes, want 1", idp.refreshes)
		}
	})

	t.Run("not renewable: the user signs in again", func(t *testing.T) {
		idp := &tokenIssuingIdP{expiresIn: []int{1}, noRefresh: true}
		g, backend, tokens, c := start(t, idp)
		status, body := g.postMCP(t, tokens.AccessToken, `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
		if status != http.StatusUnauthorized || backend.calls() != 0 {
			t.Errorf("MCP request: got %d %s (backend calls %d), want 401 and nothing forwarded", status, body, backend.calls())
		}
		if res := g.refresh(t, c, tokens.RefreshToken); res.Status != http.StatusBadRequest || res.Error != "invalid_grant" {
			t.Errorf("refresh: got %d %q, want 400 invalid_grant", res.Status, res.Error)
		}
	})
	t.Run("a sign-in made before the option: signed in again", func(t *testing.T) {
		db := "sqlite://" + filepath.Join(t.TempDir(), "mcpgate.db")
		before, hostile := startHostileGatewayWith(t, nil, func(c *config.Config) { c.Store = db })
		idp := &tokenIssuingIdP{expiresIn: []int{3600}, noRefresh: true, hostile: hostile}
		hostile.SetTokenFor(idp.token)
		c := before.registerPublic(t)
		tokens := before.exchange(t, c, hostileCode(t, before, c))
		before.stop()
		after, _ := startHostileGatewayWith(t, nil, func(c *config.Config) {
			c.Store = db
			c.Backend.UpstreamTokenHeader = "Authorization"
		})
		if res := after.refresh(t, c, tokens.RefreshToken); res.Status != http.StatusBadRequest || res.Error != "invalid_grant" {
			t.Errorf("refresh of a sign-in that kept no IdP token: %d %q, want 400 invalid_grant (not a 401 loop)", res.Status, res.Error)
		}
	})
}
