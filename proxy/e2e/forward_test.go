package e2e_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// recordingBackend is an MCP backend stand-in that keeps the headers of
// every request it receives.
type recordingBackend struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

func startRecordingBackend(t *testing.T) *recordingBackend {
	b := &recordingBackend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.headers = append(b.headers, r.Header.Clone())
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Mcp-Session-Id", "session-from-backend")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *recordingBackend) last() http.Header {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.headers) == 0 {
		return nil
	}
	return b.headers[len(b.headers)-1]
}

// accessToken signs in a fresh client and returns its access token.
func (g *gateway) accessToken(t *testing.T) string {
	t.Helper()
	c := g.registerPublic(t)
	res := g.exchange(t, c, g.code(t, c))
	if res.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", res.Status, res.Error)
	}
	return res.AccessToken
}

func withBackend(url string, more ...func(*config.Config)) func(*config.Config) {
	return func(c *config.Config) {
		c.Backend.URL = url
		for _, m := range more {
			m(c)
		}
	}
}

// TestForwardStripsClientIdentity: the backend never sees the client's
// token or identity headers the client made up; it sees mcpgate's.
func TestForwardStripsClientIdentity(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL+"/mcp", func(c *config.Config) {
		c.Backend.Assertion.Header = "X-Mcpgate-Assertion"
	})})
	token := g.accessToken(t)

	req, _ := http.NewRequest(http.MethodPost, g.resource()+"?debug=1", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-User", "admin@evil.example.com")
	req.Header.Set("X-Forwarded-Email", "admin@evil.example.com")
	req.Header.Set("X-Forwarded-Groups", "admins")
	req.Header.Set("X-Mcpgate-Assertion", "forged")
	req.Header.Set("Cookie", "session=stolen")
	for _, h := range []string{"Mcp-Session-Id", "MCP-Protocol-Version", "Mcp-Name", "Mcp-Param-Region", "Last-Event-ID"} {
		req.Header.Set(h, "value-of-"+h)
	}
	req.Header.Set("Mcp-Method", "tools/list") // checked against the body
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") != "session-from-backend" {
		t.Fatalf("got %d session %q, want 200 with the backend's Mcp-Session-Id", resp.StatusCode, resp.Header.Get("Mcp-Session-Id"))
	}
	got := backend.last()
	if got.Get("Authorization") != "" {
		t.Errorf("backend saw Authorization %q", got.Get("Authorization"))
	}
	if got.Get("Cookie") != "" {
		t.Errorf("backend saw Cookie %q", got.Get("Cookie"))
	}
	wantUser := g.IdP.Issuer() + "#" + g.IdP.Subject
	if v := got.Values("X-Forwarded-User"); len(v) != 1 || v[0] != wantUser {
		t.Errorf("X-Forwarded-User: got %q, want only %q", v, wantUser)
	}
	if v := got.Values("X-Forwarded-Email"); len(v) != 1 || v[0] != g.IdP.Email {
		t.Errorf("X-Forwarded-Email: got %q, want only %q", v, g.IdP.Email)
	}
	if v := got.Get("X-Forwarded-Groups"); v != "" {
		t.Errorf("X-Forwarded-Groups: got %q, want none (the user has no groups)", v)
	}
	for _, h := range []string{"Mcp-Session-Id", "MCP-Protocol-Version", "Mcp-Name", "Mcp-Param-Region", "Last-Event-ID"} {
		if got.Get(h) != "value-of-"+h {
			t.Errorf("%s: got %q, want it carried unchanged", h, got.Get(h))
		}
	}
	if got.Get("Mcp-Method") != "tools/list" {
		t.Errorf("Mcp-Method: got %q, want it carried unchanged", got.Get("Mcp-Method"))
	}
	// The assertion verifies against mcpgate's JWKS and names the user.
	assertion := got.Get("X-Mcpgate-Assertion")
	if assertion == "forged" || assertion == "" {
		t.Fatalf("assertion: got %q, want mcpgate's", assertion)
	}
	payload := verifyJWS(t, g.URL+"/jwks", assertion)
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	if claims["sub"] != wantUser || claims["aud"] != backend.URL+"/mcp" || claims["iss"] != g.URL {
		t.Errorf("assertion claims: got sub=%v aud=%v iss=%v", claims["sub"], claims["aud"], claims["iss"])
	}
}

// TestMCPEndpointRefusesBadTokens: each bad token gets 401 with the
// challenge that sends clients to sign in, and never reaches the backend.
func TestMCPEndpointRefusesBadTokens(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL + "/mcp")})
	good := g.accessToken(t)
	claims := verifyWithJWKS(t, g.URL+"/jwks", good)
	sign := func(edit func(*oauth.AccessClaims)) string {
		c := claims
		edit(&c)
		tok, err := g.App.Keys.Sign(context.Background(), oauth.AccessTokenType, c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	strangerKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	stranger, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: strangerKey},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "stranger"))
	payload, _ := json.Marshal(claims)
	strangerJWS, _ := stranger.Sign(payload)
	strangerToken, _ := strangerJWS.CompactSerialize()
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload) + "."

	metadata := fmt.Sprintf(`resource_metadata="%s/.well-known/oauth-protected-resource/mcp"`, g.URL)
	tests := []struct {
		name        string
		auth        string
		wantInvalid bool
	}{
		{name: "no token", auth: ""},
		{name: "another resource", auth: "Bearer " + sign(func(c *oauth.AccessClaims) { c.Audience = "https://other.example.com/mcp" }), wantInvalid: true},
		{name: "expired", auth: "Bearer " + sign(func(c *oauth.AccessClaims) { c.Expiry = time.Now().Add(-time.Minute).Unix() }), wantInvalid: true},
		{name: "another issuer", auth: "Bearer " + sign(func(c *oauth.AccessClaims) { c.Issuer = "https://evil.example.com" }), wantInvalid: true},
		{name: "unknown key", auth: "Bearer " + strangerToken, wantInvalid: true},
		{name: "alg none", auth: "Bearer " + none, wantInvalid: true},
		{name: "garbage", auth: "Bearer not.a.token", wantInvalid: true},
		{name: "basic scheme", auth: "Basic dXNlcjpwYXNz", wantInvalid: true},
	}
	before := len(backend.headers)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status: got %d, want 401", resp.StatusCode)
			}
			h := resp.Header.Get("WWW-Authenticate")
			if !strings.HasPrefix(h, "Bearer ") || !strings.Contains(h, metadata) || !strings.Contains(h, `scope="mcp"`) {
				t.Errorf("WWW-Authenticate: got %q, want Bearer with %s and scope", h, metadata)
			}
			if got := strings.Contains(h, `error="invalid_token"`); got != tt.wantInvalid {
				t.Errorf("WWW-Authenticate %q: invalid_token present=%v, want %v", h, got, tt.wantInvalid)
			}
			if !strings.Contains(body, `"jsonrpc":"2.0"`) {
				t.Errorf("body: got %q, want a JSON-RPC error", body)
			}
		})
	}
	if len(backend.headers) != before {
		t.Errorf("the backend received %d refused requests", len(backend.headers)-before)
	}
	if status := mcpStatus(t, g, good); status != http.StatusOK {
		t.Errorf("the good token: got %d, want 200", status)
	}
}

// TestSSEEventsStreamOneByOne: each event the backend flushes reaches the
// client at once, not in one batch when the stream ends.
func TestSSEEventsStreamOneByOne(t *testing.T) {
	const events, gap = 4, 300 * time.Millisecond
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for i := range events {
			fmt.Fprintf(w, "id: %d\ndata: {\"n\":%d}\n\n", i, i)
			w.(http.Flusher).Flush()
			select {
			case <-time.After(gap):
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(backend.Close)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL + "/mcp")})
	token := g.accessToken(t)

	req, _ := http.NewRequest(http.MethodGet, g.resource(), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" || resp.Header.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("got Content-Type %q X-Accel-Buffering %q", ct, resp.Header.Get("X-Accel-Buffering"))
	}
	var arrivals []time.Duration
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data:") {
			arrivals = append(arrivals, time.Since(start))
		}
	}
	if len(arrivals) != events {
		t.Fatalf("got %d events, want %d", len(arrivals), events)
	}
	for i, at := range arrivals {
		t.Logf("event %d arrived after %v", i, at.Round(time.Millisecond))
		// Event i is sent at i×gap; batching would deliver all at the end.
		if want := time.Duration(i) * gap; at > want+gap/2 {
			t.Errorf("event %d arrived after %v, want about %v", i, at, want)
		}
	}
}

// TestBackendFailures: a backend that is down or too slow gets a clear
// JSON-RPC error, never a hang.
func TestBackendFailures(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	tests := []struct {
		name       string
		backend    string
		wantStatus int
	}{
		{name: "backend down", backend: downURL + "/mcp", wantStatus: http.StatusBadGateway},
		{name: "backend too slow", backend: slow.URL + "/mcp", wantStatus: http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGateway(t, gatewayOptions{mutate: withBackend(tt.backend, func(c *config.Config) { c.Backend.Timeout = 500 * time.Millisecond })})
			token := g.accessToken(t)
			req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
			req.Header.Set("Authorization", "Bearer "+token)
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, `"error"`) || !strings.Contains(body, `"jsonrpc":"2.0"`) {
				t.Fatalf("got %d %q, want %d with a JSON-RPC error", resp.StatusCode, body, tt.wantStatus)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestOriginValidation: browsers from other origins are refused.
func TestOriginValidation(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL+"/mcp", func(c *config.Config) {
		c.MCP.AllowedOrigins = []string{"http://localhost:6274"}
	})})
	token := g.accessToken(t)
	tests := []struct {
		name, origin string
		want         int
	}{
		{name: "no origin (native client)", origin: "", want: http.StatusOK},
		{name: "own origin", origin: g.URL, want: http.StatusOK},
		{name: "allowed origin", origin: "http://localhost:6274", want: http.StatusOK},
		{name: "rebinding page", origin: "http://evil.example.com", want: http.StatusForbidden},
		{name: "null origin", origin: "null", want: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer "+token)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			if resp.StatusCode != tt.want {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.origin != "" && tt.want == http.StatusOK && resp.Header.Get("Access-Control-Allow-Origin") != tt.origin {
				t.Errorf("Access-Control-Allow-Origin: got %q, want %q", resp.Header.Get("Access-Control-Allow-Origin"), tt.origin)
			}
		})
	}
}

// verifyJWS checks any mcpgate-signed JWS against the JWKS and returns its
// payload.
func verifyJWS(t *testing.T, jwksURL, token string) []byte {
	t.Helper()
	resp, err := http.Get(jwksURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	json.NewDecoder(resp.Body).Decode(&set)
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid not in JWKS")
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return payload
}
