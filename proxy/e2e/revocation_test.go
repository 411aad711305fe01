package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// TestRevocationReachesAccessTokens: every way a grant ends (revoking its
// refresh or access token, replaying its code, reusing a rotated refresh
// token) also ends its access tokens at /mcp, at once on the replica that
// revoked it, although they were verified and cached before.
func TestRevocationReachesAccessTokens(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL+"/mcp", func(c *config.Config) {
		c.Tokens.RefreshGrace = time.Millisecond
	})})
	revoke := func(t *testing.T, c client, token string) {
		t.Helper()
		form := url.Values{"token": {token}, "client_id": {c.ID}}
		resp, err := http.PostForm(g.URL+"/revoke", form)
		if err != nil {
			t.Fatal(err)
		}
		if readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
	}
	tests := []struct {
		name string
		end  func(t *testing.T, c client, code string, res tokenResult)
	}{
		{name: "refresh token revoked", end: func(t *testing.T, c client, _ string, res tokenResult) { revoke(t, c, res.RefreshToken) }},
		{name: "access token revoked", end: func(t *testing.T, c client, _ string, res tokenResult) { revoke(t, c, res.AccessToken) }},
		{name: "code replayed", end: func(t *testing.T, c client, code string, _ tokenResult) {
			if r := g.exchange(t, c, code); r.Error != "invalid_grant" {
				t.Fatalf("replay: got %d %s, want invalid_grant", r.Status, r.Error)
			}
		}},
		{name: "rotated refresh token reused", end: func(t *testing.T, c client, _ string, res tokenResult) {
			if r := g.refresh(t, c, res.RefreshToken); r.Status != http.StatusOK {
				t.Fatalf("first refresh: %d %s", r.Status, r.Error)
			}
			time.Sleep(20 * time.Millisecond) // past the grace window
			if r := g.refresh(t, c, res.RefreshToken); r.Error != "invalid_grant" {
				t.Fatalf("reuse: got %d %s, want invalid_grant", r.Status, r.Error)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := g.registerPublic(t)
			code := g.code(t, c)
			res := g.exchange(t, c, code)
			if status := mcpStatus(t, g, res.AccessToken); status != http.StatusOK {
				t.Fatalf("before: got %d, want 200", status)
			}
			tt.end(t, c, code, res)
			if status := mcpStatus(t, g, res.AccessToken); status != http.StatusUnauthorized {
				t.Errorf("the revoked grant's access token: got %d, want 401", status)
			}
			// Another grant of the same user and client is untouched.
			other := g.exchange(t, c, g.code(t, c))
			if status := mcpStatus(t, g, other.AccessToken); status != http.StatusOK {
				t.Errorf("another grant: got %d, want 200", status)
			}
		})
	}
}

// mcpStatusAt calls /mcp on one replica directly, naming the public host.
// The backend answers a bare ping with 400 (no session): anything but 401
// means mcpgate let the token through.
func mcpStatusAt(t *testing.T, addr, host, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRevocationReachesEveryReplica: a grant revoked on one replica is
// refused at once there and, within tokens.revocation_poll_interval, on
// every other replica, which had verified and cached its access token
// before. Three replicas over PostgreSQL.
func TestRevocationReachesEveryReplica(t *testing.T) {
	const poll = 2 * time.Second
	rs := startReplicas(t, freshPostgres(t), 3, "MCPGATE_TOKENS_REVOCATION_POLL_INTERVAL="+poll.String())
	g := rs.gateway()
	host := strings.TrimPrefix(rs.URL, "http://")
	c := g.registerPublic(t)
	res := g.exchange(t, c, g.code(t, c))
	if res.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", res.Status, res.Error)
	}
	for i, addr := range rs.addrs {
		if status := mcpStatusAt(t, addr, host, res.AccessToken); status == http.StatusUnauthorized {
			t.Fatalf("replica %d before revocation: got 401, want the token accepted", i)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+rs.addrs[0]+"/revoke", strings.NewReader(url.Values{"token": {res.RefreshToken}, "client_id": {c.ID}}.Encode()))
	req.Host = host
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	revoked := time.Now()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke on replica 0: %d", resp.StatusCode)
	}
	if status := mcpStatusAt(t, rs.addrs[0], host, res.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("replica 0, which revoked: got %d, want 401 at once", status)
	}
	for i := 1; i < len(rs.addrs); i++ {
		for {
			status := mcpStatusAt(t, rs.addrs[i], host, res.AccessToken)
			if status == http.StatusUnauthorized {
				took := time.Since(revoked)
				t.Logf("replica %d refused the revoked grant %v after the revocation", i, took.Round(time.Millisecond))
				if took > poll+time.Second {
					t.Errorf("replica %d: refused after %v, want within the %v poll interval", i, took, poll)
				}
				break
			}
			if time.Since(revoked) > 3*poll {
				t.Fatalf("replica %d: still accepted (%d) %v after the revocation, want 401 within %v", i, status, time.Since(revoked), poll)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
