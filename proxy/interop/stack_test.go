//go:build linux

package interop_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The test user oidc-provider signs in (node/idp.mjs).
const (
	userSubject = "interop-user-1"
	userEmail   = "ada@example.com"
	userName    = "Ada Lovelace"
)

var userGroups = []string{"engineering", "mcp-users"}

const upstreamClientID = "mcpgate-interop"

// stack is one running deployment: oidc-provider upstream, the go-sdk
// conformance server as backend, and the mcpgate binary in front.
type stack struct {
	tc       *toolchain
	issuer   string // mcpgate's public URL and OAuth issuer
	idp      string // upstream issuer
	backend  string // the backend's MCP URL
	gw       *proc  // the mcpgate process
	idpProc  *proc  // oidc-provider
	backProc *proc  // the conformance backend
	// lastRefusal is the refusal page the last refused sign-in showed.
	lastRefusal string
}

func (s *stack) resource() string { return s.issuer + "/mcp" }

type stackOptions struct {
	// allowedOrigins are browser origins mcpgate lets call /mcp.
	allowedOrigins []string
	// allowedHosts are Host values mcpgate answers for besides its own.
	allowedHosts []string
	// configFile is passed with --config (the policy tests reload it).
	configFile string
	// env is more environment for mcpgate; idpEnv for oidc-provider.
	env    []string
	idpEnv []string
	// viaBackend, when set, gives the URL mcpgate forwards to in place of
	// the backend's (a recorder in front of it).
	viaBackend func(backend string) string
}

func startStack(t *testing.T, tc *toolchain, o stackOptions) *stack {
	t.Helper()
	ports := distinctPorts(t, 3)
	s := &stack{
		tc:      tc,
		issuer:  fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		idp:     fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		backend: fmt.Sprintf("http://127.0.0.1:%d/mcp", ports[2]),
	}
	secret := randomString(t)
	addSecret(secret)
	home := t.TempDir()

	// The servers live as long as the test: startProc stops them.
	ctx := context.Background()
	idpProc := startProc(t, ctx, "oidc-provider", []string{tc.node, "idp.mjs"}, childEnv(home, append([]string{
		"IDP_PORT=" + strconv.Itoa(ports[1]),
		"IDP_CLIENT_ID=" + upstreamClientID,
		"IDP_CLIENT_SECRET=" + secret,
		"IDP_REDIRECT_URI=" + s.issuer + "/oauth/callback",
	}, o.idpEnv...)...), procOptions{dir: tc.nodeDir})

	// The go-sdk handler serves MCP on every path; /mcp is for clarity.
	backend := startProc(t, ctx, "everything-server", []string{tc.backend, "-http", "127.0.0.1:" + strconv.Itoa(ports[2]), "-stateless=false"}, childEnv(home), procOptions{})

	if _, err := idpProc.waitOutput(60*time.Second, func(l string) bool { return strings.Contains(l, `"ready":true`) }); err != nil {
		t.Fatalf("oidc-provider: %v", err)
	}
	if err := idpProc.waitHTTP(s.idp+"/.well-known/openid-configuration", http.StatusOK, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// Any answer will do: a bare GET is not an MCP request.
	if err := backend.waitHTTP(s.backend, 0, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	backendURL := s.backend
	if o.viaBackend != nil {
		backendURL = o.viaBackend(s.backend)
	}
	args := []string{tc.mcpgate, "serve"}
	if o.configFile != "" {
		args = append(args, "--config", o.configFile)
	}
	gw := startProc(t, ctx, "mcpgate", args, childEnv(home, append([]string{
		"MCPGATE_PUBLIC_URL=" + s.issuer,
		"MCPGATE_LISTEN=127.0.0.1:" + strconv.Itoa(ports[0]),
		// SQLite, as deployed, in a fresh directory.
		"MCPGATE_STORE=sqlite://" + filepath.Join(t.TempDir(), "mcpgate.db"),
		"MCPGATE_UPSTREAM_ISSUER=" + s.idp,
		"MCPGATE_UPSTREAM_CLIENT_ID=" + upstreamClientID,
		"MCPGATE_UPSTREAM_CLIENT_SECRET=" + secret,
		// groups is a scope of its own at the IdP, as at Okta.
		"MCPGATE_UPSTREAM_SCOPES=openid,email,profile,groups",
		"MCPGATE_BACKEND_URL=" + backendURL,
		"MCPGATE_MCP_ALLOWED_ORIGINS=" + strings.Join(o.allowedOrigins, ","),
		"MCPGATE_ALLOWED_HOSTS=" + strings.Join(o.allowedHosts, ","),
		// A pre-registered public client for mcp-remote's
		// --static-oauth-client-info (loopback: any port).
		`MCPGATE_CLIENTS=[{"id":"` + staticMCPRemoteClient + `","name":"mcp-remote (pre-registered)","redirect_uris":["http://localhost/oauth/callback"]}]`,
		"MCPGATE_LOG_LEVEL=debug",
		"MCPGATE_METRICS_LISTEN=127.0.0.1:0",
	}, o.env...)...), procOptions{})
	s.gw, s.idpProc, s.backProc = gw, idpProc, backend
	if err := gw.waitHTTP(s.issuer+"/.well-known/oauth-authorization-server", http.StatusOK, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return s
}

// distinctPorts returns n different free ports.
func distinctPorts(t *testing.T, n int) []int {
	t.Helper()
	seen := map[int]bool{}
	var ports []int
	for len(ports) < n {
		if p := freePort(t); !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports
}

func randomString(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// registration is mcpgate's RFC 7591 answer.
type registration struct {
	ClientID                string   `json:"client_id"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
}

// register registers a public client at mcpgate by DCR.
func (s *stack) register(t *testing.T, name, redirectURI string) registration {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"client_name":                name,
		"redirect_uris":              []string{redirectURI},
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
	})
	resp, err := http.Post(s.issuer+"/register", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r registration
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("register: decode: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || r.ClientID == "" {
		t.Fatalf("register: got status %d, client_id %q; want 201 and a client_id", resp.StatusCode, r.ClientID)
	}
	return r
}

// signIn is a sign-in driven from Go for clients that take a ready token
// (MCP Inspector's --header, the conformance suite's shim): DCR, PKCE,
// consent and upstream login in the headless browser, code exchange.
func (s *stack) signIn(t *testing.T) *oauth2.Token {
	t.Helper()
	return s.signInAs(t, "", "mcp")
}

// signInAs signs in the IdP's test user with subject user ("" for the
// first), asking for scopes.
func (s *stack) signInAs(t *testing.T, user string, scopes ...string) *oauth2.Token {
	t.Helper()
	tok, back := s.trySignInAs(t, user, scopes...)
	if tok == nil {
		t.Fatalf("sign-in as %q: got redirect %s, want a code", user, redact(back.String()))
	}
	return tok
}

// trySignInAs is signInAs for a sign-in that may be refused: it returns
// a nil token and the redirect back to the client when there is no code.
func (s *stack) trySignInAs(t *testing.T, user string, scopes ...string) (*oauth2.Token, *url.URL) {
	t.Helper()
	const redirectURI = "http://127.0.0.1:7777/interop/callback"
	reg := s.register(t, "mcpgate interop: Go sign-in", redirectURI)
	cfg := oauth2.Config{
		ClientID:    reg.ClientID,
		RedirectURL: redirectURI,
		Scopes:      scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   s.issuer + "/authorize",
			TokenURL:  s.issuer + "/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
	verifier := oauth2.GenerateVerifier()
	state := randomString(t)
	resource := oauth2.SetAuthURLParam("resource", s.resource())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := newBrowser()
	if user != "" {
		idpURL, _ := url.Parse(s.idp)
		b.client.Jar.SetCookies(idpURL, []*http.Cookie{{Name: "idp_user", Value: user, Path: "/"}})
	}
	back, err := b.signIn(ctx, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), resource), redirectURI)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	q := back.Query()
	addSecret(q.Get("code"))
	if q.Get("code") == "" {
		s.lastRefusal = b.refused
		return nil, back
	}
	if q.Get("state") != state {
		t.Fatalf("state: the redirect did not carry the state sent")
	}
	if got := q.Get("iss"); got != s.issuer {
		t.Fatalf("iss: got %q, want %q", got, s.issuer)
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier), resource)
	if err != nil {
		t.Fatalf("code exchange: %v", redact(err.Error()))
	}
	addSecret(tok.AccessToken)
	addSecret(tok.RefreshToken)
	return tok, back
}

// accessClaims are the claims of an mcpgate access token the tests check.
type accessClaims struct {
	Issuer   string   `json:"iss"`
	Audience string   `json:"aud"`
	Subject  string   `json:"sub"`
	ClientID string   `json:"client_id"`
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Groups   []string `json:"groups"`
	Scope    string   `json:"scope"`
}

// claimsOf reads a JWT's payload without verifying it: the e2e tests check
// signatures; here the question is what the upstream claims became.
func claimsOf(t *testing.T, jwt string) accessClaims {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT (%d parts)", len(parts))
	}
	var c accessClaims
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err == nil {
		err = json.Unmarshal(payload, &c)
	}
	if err != nil {
		t.Fatalf("access token payload: %v", err)
	}
	return c
}

// checkIdentity compares what mcpgate put in its token with the upstream
// test user.
func (s *stack) checkIdentity(t *testing.T, c accessClaims) {
	t.Helper()
	checks := []struct {
		name      string
		got, want any
	}{
		{"iss", c.Issuer, s.issuer},
		{"aud", c.Audience, s.resource()},
		{"sub", c.Subject, s.idp + "#" + userSubject},
		{"email", c.Email, userEmail},
		{"name", c.Name, userName},
		{"groups", fmt.Sprint(c.Groups), fmt.Sprint(userGroups)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("access token %s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}
