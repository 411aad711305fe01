//go:build linux

package interop_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestDeprovisioningWithOIDCProvider: oidc-provider issues rotating
// refresh tokens (a rotated one presented again revokes its whole grant).
// 8 concurrent MCP refreshes of one family all succeed, and so does the
// refresh after them: no stale upstream token was replayed and nobody
// was logged out. Once the user is disabled at the IdP, the next MCP
// refresh is invalid_grant and the family's access token is refused at
// /mcp.
func TestDeprovisioningWithOIDCProvider(t *testing.T) {
	tc := requireToolchain(t)
	s := startStack(t, tc, stackOptions{idpEnv: []string{"IDP_REFRESH=1"}})
	tok := s.signIn(t)
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token from mcpgate")
	}
	clientID := claimsOf(t, tok.AccessToken).ClientID

	refresh := func(rt string) (int, map[string]any) {
		resp, err := http.PostForm(s.issuer+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
			"client_id": {clientID}, "resource": {s.resource()}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		if at, ok := body["access_token"].(string); ok {
			addSecret(at)
		}
		if rt, ok := body["refresh_token"].(string); ok {
			addSecret(rt)
		}
		return resp.StatusCode, body
	}

	var wg sync.WaitGroup
	type answer struct {
		status int
		body   map[string]any
	}
	answers := make([]answer, 8)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i].status, answers[i].body = refresh(tok.RefreshToken)
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a.status != http.StatusOK {
			t.Fatalf("concurrent refresh %d: %d %v (a forced re-login)", i, a.status, a.body["error"])
		}
	}
	// oidc-provider would have revoked the grant had any of them replayed
	// a rotated upstream token: the next refresh would fail.
	status, body := refresh(answers[0].body["refresh_token"].(string))
	if status != http.StatusOK {
		t.Fatalf("refresh after the concurrent ones: %d %v", status, body["error"])
	}
	access, rt := body["access_token"].(string), body["refresh_token"].(string)
	if got := claimsOf(t, access); got.Email != "ada@example.com" || len(got.Groups) == 0 {
		t.Errorf("refreshed identity: %+v, want the user as the IdP describes them", got)
	}
	callMCP := func(token string) int {
		req, _ := http.NewRequest(http.MethodPost, s.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"interop","version":"1"}}}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := callMCP(access); got != http.StatusOK {
		t.Fatalf("initialize before the user was disabled: %d, want 200", got)
	}

	resp, err := http.Get(s.idp + "/test/disable?user=interop-user-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	status, body = refresh(rt)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after the user was disabled at the IdP: %d %v, want invalid_grant", status, body["error"])
	}
	if got := callMCP(access); got != http.StatusUnauthorized {
		t.Errorf("the family's access token after the IdP refused the user: %d, want 401", got)
	}
}
