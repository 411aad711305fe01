package devidp_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/devidp"
	upoidc "github.com/mcpgate/mcpgate/upstream/oidc"
)

const (
	clientID     = "mcpgate-demo"
	clientSecret = "demo secret/with:odd&chars"
	redirectURI  = "http://127.0.0.1:1/oauth/callback"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	issuer string
	clock  *clock
	srv    *httptest.Server
}

// start runs a provider on a random port; its issuer is only known once the
// listener exists, hence the unstarted server.
func start(t *testing.T) *fixture {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	f := &fixture{issuer: "http://" + srv.Listener.Addr().String(), clock: &clock{t: time.Now()}, srv: srv}
	p, err := devidp.New(devidp.Options{
		Issuer:       f.issuer,
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURIs: []string{"http://127.0.0.1:1/other", redirectURI},
		Now:          f.clock.Now,
	})
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	srv.Config.Handler = p
	srv.Start()
	t.Cleanup(srv.Close)
	return f
}

// browser is a client that keeps cookies and stops at redirects, as
// SubmitLogin's documentation asks.
func (f *fixture) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeURL is a valid authorization request, changed by mod.
func (f *fixture) authorizeURL(verifier string, mod func(url.Values)) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid email profile"},
		"state":                 {"state-1"},
		"nonce":                 {"nonce-1"},
		"code_challenge":        {challenge(verifier)},
		"code_challenge_method": {"S256"},
	}
	if mod != nil {
		mod(q)
	}
	return f.issuer + "/authorize?" + q.Encode()
}

// login signs in as ada and returns the code.
func (f *fixture) login(t *testing.T, verifier string) string {
	t.Helper()
	loc, err := devidp.SubmitLogin(context.Background(), f.browser(t), f.authorizeURL(verifier, nil),
		"Ada Lovelace", "ada@example.com", []string{"eng"})
	if err != nil {
		t.Fatalf("SubmitLogin: got error %v, want nil", err)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("SubmitLogin: got redirect %s, want one with a code", loc)
	}
	return code
}

func decode(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("decode JSON: %v", err)
	}
	return m
}

// TestFlow drives the provider with the real go-oidc and x/oauth2 clients,
// i.e. with somebody else's reading of the specifications.
func TestFlow(t *testing.T) {
	f := start(t)
	ctx := gooidc.ClientContext(context.Background(), f.srv.Client())
	op, err := gooidc.NewProvider(ctx, f.issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: got error %v, want nil", err)
	}
	verifier := op.Verifier(&gooidc.Config{ClientID: clientID, Now: f.clock.Now})

	tests := []struct {
		name      string
		authStyle oauth2.AuthStyle
		email     string
		groups    []string
		wantName  string
	}{
		{name: "client_secret_basic with groups", authStyle: oauth2.AuthStyleInHeader, email: "ada@example.com", groups: []string{"eng", "admins"}, wantName: "Ada"},
		{name: "client_secret_post without groups", authStyle: oauth2.AuthStyleInParams, email: "grace@example.com", wantName: "Grace"},
		{name: "same email in other case", authStyle: oauth2.AuthStyleInHeader, email: "ADA@Example.COM", groups: []string{"eng"}, wantName: "Ada again"},
	}
	subs := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			endpoint := op.Endpoint()
			endpoint.AuthStyle = tc.authStyle
			cfg := oauth2.Config{
				ClientID: clientID, ClientSecret: clientSecret, Endpoint: endpoint,
				RedirectURL: redirectURI, Scopes: []string{gooidc.ScopeOpenID, "email", "profile", "groups"},
			}
			pkce := oauth2.GenerateVerifier()
			nonce := "nonce-" + tc.name
			authURL := cfg.AuthCodeURL("st-"+tc.name, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce))

			loc, err := devidp.SubmitLogin(ctx, f.browser(t), authURL, tc.wantName, tc.email, tc.groups)
			if err != nil {
				t.Fatalf("SubmitLogin: got error %v, want nil", err)
			}
			q := loc.Query()
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
				t.Errorf("redirect target: got %s, want %s", got, redirectURI)
			}
			if got, want := q.Get("state"), "st-"+tc.name; got != want {
				t.Errorf("state: got %q, want %q", got, want)
			}
			if got := q.Get("iss"); got != f.issuer {
				t.Errorf("iss parameter: got %q, want %q", got, f.issuer)
			}

			tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
			if err != nil {
				t.Fatalf("Exchange: got error %v, want nil", err)
			}
			if tok.TokenType != "Bearer" || tok.AccessToken == "" {
				t.Errorf("token: got type %q and access token %q, want Bearer and non-empty", tok.TokenType, tok.AccessToken)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := verifier.Verify(ctx, raw)
			if err != nil {
				t.Fatalf("go-oidc Verify: got error %v, want nil", err)
			}
			if idt.Nonce != nonce {
				t.Errorf("nonce: got %q, want %q", idt.Nonce, nonce)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil || idt.AccessTokenHash == "" {
				t.Errorf("at_hash: got %q (err %v), want a matching at_hash", idt.AccessTokenHash, err)
			}
			if got := idt.Expiry.Sub(idt.IssuedAt); got != 10*time.Minute {
				t.Errorf("id token lifetime: got %v, want 10m", got)
			}
			var claims struct {
				Email         string   `json:"email"`
				EmailVerified bool     `json:"email_verified"`
				Name          string   `json:"name"`
				Groups        []string `json:"groups"`
				AuthTime      int64    `json:"auth_time"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatalf("claims: %v", err)
			}
			wantGroups := tc.groups
			if wantGroups == nil {
				wantGroups = []string{}
			}
			if claims.Email != tc.email || !claims.EmailVerified || claims.Name != tc.wantName || !slices.Equal(claims.Groups, wantGroups) || claims.AuthTime == 0 {
				t.Errorf("claims: got %+v, want email %q verified, name %q, groups %q, auth_time set", claims, tc.email, tc.wantName, wantGroups)
			}
			if !strings.HasPrefix(idt.Subject, "dev-") || len(idt.Subject) != 20 {
				t.Errorf("sub: got %q, want dev- and 16 characters", idt.Subject)
			}
			subs[tc.name] = idt.Subject

			ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("UserInfo: got error %v, want nil", err)
			}
			if ui.Subject != idt.Subject || ui.Email != tc.email || !ui.EmailVerified {
				t.Errorf("userinfo: got sub %q email %q verified %v, want %q %q true", ui.Subject, ui.Email, ui.EmailVerified, idt.Subject, tc.email)
			}
		})
	}
	if a, b := subs[tests[0].name], subs[tests[2].name]; a == "" || a != b {
		t.Errorf("same email, other case: got subs %q and %q, want equal", a, b)
	}
	if a, b := subs[tests[0].name], subs[tests[1].name]; a == b {
		t.Errorf("different emails: got the same sub %q twice, want different", a)
	}
}

// TestMcpgateUpstream signs in through mcpgate's own OIDC upstream, the
// path `mcpgate demo` takes.
func TestMcpgateUpstream(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	up, err := upoidc.New(ctx, upoidc.Config{
		Issuer: f.issuer, ClientID: clientID, ClientSecret: clientSecret,
		RedirectURL: redirectURI, Now: f.clock.Now, HTTPClient: f.srv.Client(),
	})
	if err != nil {
		t.Fatalf("upstream/oidc New: got error %v, want nil", err)
	}
	lp := upstream.LoginParams{State: "s", Nonce: "n", Verifier: oauth2.GenerateVerifier()}
	loc, err := devidp.SubmitLogin(ctx, f.browser(t), up.AuthCodeURL(lp), "Ada", "ada@example.com", []string{"eng", "ops"})
	if err != nil {
		t.Fatalf("SubmitLogin: got error %v, want nil", err)
	}
	id, err := up.Exchange(ctx, upstream.Callback{Code: loc.Query().Get("code"), Iss: loc.Query().Get("iss")}, lp)
	if err != nil {
		t.Fatalf("Exchange: got error %v, want nil", err)
	}
	if !strings.HasPrefix(id.Subject, f.issuer+"#dev-") || id.Email != "ada@example.com" || !id.EmailVerified ||
		id.Name != "Ada" || !slices.Equal(id.Groups, []string{"eng", "ops"}) {
		t.Errorf("identity: got %+v, want ada@example.com, verified, Ada, [eng ops]", id)
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	f := start(t)
	resp, err := http.Get(f.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, resp.Body)
	resp.Body.Close()
	tests := []struct {
		key  string
		want any
	}{
		{"issuer", f.issuer},
		{"authorization_endpoint", f.issuer + "/authorize"},
		{"token_endpoint", f.issuer + "/token"},
		{"jwks_uri", f.issuer + "/jwks"},
		{"userinfo_endpoint", f.issuer + "/userinfo"},
		{"response_types_supported", []any{"code"}},
		{"subject_types_supported", []any{"public"}},
		{"id_token_signing_alg_values_supported", []any{"ES256"}},
		{"code_challenge_methods_supported", []any{"S256"}},
		{"token_endpoint_auth_methods_supported", []any{"client_secret_basic", "client_secret_post"}},
		{"scopes_supported", []any{"openid", "email", "profile", "groups"}},
		{"grant_types_supported", []any{"authorization_code"}},
		{"authorization_response_iss_parameter_supported", true},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			if got, _ := json.Marshal(doc[tc.key]); string(got) != mustJSON(tc.want) {
				t.Errorf("got %s, want %s", got, mustJSON(tc.want))
			}
		})
	}
	claims, _ := json.Marshal(doc["claims_supported"])
	for _, c := range []string{"sub", "email", "email_verified", "name", "groups", "nonce", "at_hash", "auth_time"} {
		if !strings.Contains(string(claims), `"`+c+`"`) {
			t.Errorf("claims_supported: got %s, want it to include %q", claims, c)
		}
	}

	resp, err = http.Get(f.issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	jwks := decode(t, resp.Body)
	resp.Body.Close()
	keys, _ := jwks["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("jwks: got %d keys, want 1", len(keys))
	}
	k, _ := keys[0].(map[string]any)
	if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || k["kid"] == "" || k["d"] != nil {
		t.Errorf("jwk: got %v, want a public EC P-256 ES256 signing key with kid", k)
	}

	// The ID token's header names that kid and says JWT.
	pkce := oauth2.GenerateVerifier()
	body := f.exchange(t, f.login(t, pkce), pkce)
	header, _, _ := strings.Cut(body["id_token"].(string), ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	if h["alg"] != "ES256" || h["typ"] != "JWT" || h["kid"] != k["kid"] {
		t.Errorf("id token header: got %v, want alg ES256, typ JWT, kid %v", h, k["kid"])
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// exchange redeems code with client_secret_basic and wants success.
func (f *fixture) exchange(t *testing.T, code, verifier string) map[string]any {
	t.Helper()
	resp := f.postToken(t, url.Values{
		"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier},
	}, clientID, clientSecret)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: got status %d, want 200: %v", resp.StatusCode, decode(t, resp.Body))
	}
	return decode(t, resp.Body)
}

// postToken sends form to /token, with Basic credentials unless id is "".
func (f *fixture) postToken(t *testing.T, form url.Values, id, secret string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.issuer+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestNewRefusesBadOptions(t *testing.T) {
	good := devidp.Options{Issuer: "http://127.0.0.1:9401", ClientID: "c", ClientSecret: "s", RedirectURIs: []string{"http://127.0.0.1:8080/cb"}}
	tests := []struct {
		name string
		mod  func(*devidp.Options)
	}{
		{"relative issuer", func(o *devidp.Options) { o.Issuer = "/idp" }},
		{"issuer with query", func(o *devidp.Options) { o.Issuer = "http://127.0.0.1:9401/?a=b" }},
		{"issuer with fragment", func(o *devidp.Options) { o.Issuer = "http://127.0.0.1:9401#x" }},
		{"issuer path with braces", func(o *devidp.Options) { o.Issuer = "http://127.0.0.1:9401/{x}" }},
		{"no client id", func(o *devidp.Options) { o.ClientID = "" }},
		{"no client secret", func(o *devidp.Options) { o.ClientSecret = "" }},
		{"no redirect URIs", func(o *devidp.Options) { o.RedirectURIs = nil }},
		{"relative redirect URI", func(o *devidp.Options) { o.RedirectURIs = []string{"/cb"} }},
		{"redirect URI with fragment", func(o *devidp.Options) { o.RedirectURIs = []string{"http://x/cb#f"} }},
	}
	if _, err := devidp.New(good); err != nil {
		t.Fatalf("good options: got error %v, want nil", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.mod(&o)
			if _, err := devidp.New(o); err == nil {
				t.Errorf("got nil error, want one")
			}
		})
	}
}

// TestIssuerPath serves the provider under a path, as behind a prefix.
func TestIssuerPath(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String() + "/dev-idp"
	p, err := devidp.New(devidp.Options{Issuer: issuer, ClientID: clientID, ClientSecret: clientSecret, RedirectURIs: []string{redirectURI}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = p
	srv.Start()
	defer srv.Close()
	ctx := context.Background()
	op, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: got error %v, want nil", err)
	}
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: op.Endpoint(), RedirectURL: redirectURI, Scopes: []string{"openid"}}
	pkce := oauth2.GenerateVerifier()
	loc, err := devidp.SubmitLogin(ctx, nil, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)), "", "x@example.com", nil)
	if err != nil {
		t.Fatalf("SubmitLogin: got error %v, want nil", err)
	}
	tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("Exchange: got error %v, want nil", err)
	}
	if _, err := op.Verifier(&gooidc.Config{ClientID: clientID}).Verify(ctx, tok.Extra("id_token").(string)); err != nil {
		t.Errorf("Verify: got error %v, want nil", err)
	}
}
