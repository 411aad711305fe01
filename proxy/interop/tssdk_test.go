//go:build linux

package interop_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// simpleText is what everything-server's test_simple_text tool answers.
const simpleText = "This is a simple text response for testing."

// tsSummary is what node/ts-sdk-client.mjs prints.
type tsSummary struct {
	OK             bool     `json:"ok"`
	Error          string   `json:"error"`
	Requests       []string `json:"requests"`
	FirstChallenge string   `json:"firstChallenge"`
	Registration   struct {
		ClientID                string `json:"clientID"`
		TokenEndpointAuthMethod string `json:"tokenEndpointAuthMethod"`
	} `json:"registration"`
	Authorization struct {
		Endpoint            string   `json:"endpoint"`
		CodeChallengeMethod string   `json:"codeChallengeMethod"`
		HasCodeChallenge    bool     `json:"hasCodeChallenge"`
		Resource            string   `json:"resource"`
		Consented           bool     `json:"consented"`
		StateMatches        bool     `json:"stateMatches"`
		Iss                 string   `json:"iss"`
		Hops                []string `json:"hops"`
	} `json:"authorization"`
	Token struct {
		Type            string       `json:"type"`
		HasRefreshToken bool         `json:"hasRefreshToken"`
		Claims          accessClaims `json:"claims"`
	} `json:"token"`
	ServerName string   `json:"serverName"`
	Tools      []string `json:"tools"`
	Call       string   `json:"call"`
	Refresh    struct {
		Outcome             string `json:"outcome"`
		AccessTokenChanged  bool   `json:"accessTokenChanged"`
		RefreshTokenRotated bool   `json:"refreshTokenRotated"`
	} `json:"refresh"`
	CallAfterRefresh string `json:"callAfterRefresh"`
}

// testTypeScriptSDK runs the TypeScript SDK's OAuth client and Streamable
// HTTP transport through the whole flow, refresh included.
func testTypeScriptSDK(t *testing.T, s *stack) {
	script := filepath.Join(s.tc.nodeDir, "ts-sdk-client.mjs")
	out, err := runProc(t, "ts-sdk-client", 2*time.Minute, []string{s.tc.node, script, s.resource()}, childEnv(t.TempDir()), procOptions{})
	sum, perr := lastJSONLine[tsSummary](out)
	if perr != nil {
		t.Fatalf("no summary from the script (%s): %v\n%s", exitError(err), perr, tail(redact(out), 4000))
	}
	if !sum.OK || err != nil {
		t.Fatalf("TypeScript SDK flow failed (%s): %s\nrequests: %v", exitError(err), redact(sum.Error), sum.Requests)
	}
	t.Logf("requests: %v", sum.Requests)
	t.Logf("browser: %v", sum.Authorization.Hops)

	prm := s.issuer + "/.well-known/oauth-protected-resource/mcp"
	checks := []struct {
		name      string
		got, want any
	}{
		{"first request", first(sum.Requests), "POST /mcp 401"},
		{"challenge names the resource metadata", strings.Contains(sum.FirstChallenge, `resource_metadata="`+prm+`"`), true},
		{"resource metadata fetched", slices.Contains(sum.Requests, "GET /.well-known/oauth-protected-resource/mcp 200"), true},
		{"registered by DCR", slices.Contains(sum.Requests, "POST /register 201"), true},
		{"registered auth method", sum.Registration.TokenEndpointAuthMethod, "none"},
		{"authorization endpoint", sum.Authorization.Endpoint, s.issuer + "/authorize"},
		{"code_challenge_method", sum.Authorization.CodeChallengeMethod, "S256"},
		{"code_challenge sent", sum.Authorization.HasCodeChallenge, true},
		{"resource parameter", sum.Authorization.Resource, s.resource()},
		{"consent page approved", sum.Authorization.Consented, true},
		{"state echoed", sum.Authorization.StateMatches, true},
		{"iss in the authorization response", sum.Authorization.Iss, s.issuer},
		{"token type", strings.ToLower(sum.Token.Type), "bearer"},
		{"refresh token issued", sum.Token.HasRefreshToken, true},
		{"token client_id", sum.Token.Claims.ClientID, sum.Registration.ClientID},
		{"server behind mcpgate", sum.ServerName, "mcp-conformance-test-server"},
		{"tools/list has test_simple_text", slices.Contains(sum.Tools, "test_simple_text"), true},
		{"tools/call answer", sum.Call, simpleText},
		{"token requests (code, refresh)", count(sum.Requests, "POST /token 200"), 2},
		{"refresh outcome", sum.Refresh.Outcome, "AUTHORIZED"},
		{"refresh changed the access token", sum.Refresh.AccessTokenChanged, true},
		{"refresh rotated the refresh token", sum.Refresh.RefreshTokenRotated, true},
		{"tools/call after refresh", sum.CallAfterRefresh, simpleText},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	s.checkIdentity(t, sum.Token.Claims)
}

// lastJSONLine decodes the last line of out that is a JSON object of T.
func lastJSONLine[T any](out string) (T, error) {
	var v T
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "{") && json.Unmarshal([]byte(l), &v) == nil {
			return v, nil
		}
	}
	return v, fmt.Errorf("no JSON line in %d lines of output", len(lines))
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
