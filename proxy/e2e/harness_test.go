package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/app"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

const (
	hostileClientID      = "mcpgate-hostile"
	upstreamClientID     = "mcpgate"
	upstreamClientSecret = "upstream-secret"
)

// testIdP is the real OpenID provider upstream and the client mcpgate has
// there.
type testIdP struct {
	*oidctest.IdP
	ClientID string
}

func startIdP(t testing.TB, redirectURIs ...string) *testIdP {
	id := upstreamClientID + "-" + randomSuffix()
	return &testIdP{
		IdP:      oidctest.Start(t, oidctest.Options{ClientID: id, ClientSecret: upstreamClientSecret, RedirectURIs: redirectURIs}),
		ClientID: id,
	}
}

// gateway is a running mcpgate with its upstream IdP.
type gateway struct {
	URL string
	IdP *testIdP
	App *app.App
	cfg *config.Config
	// stop stops serving and closes the app before the test ends (a
	// restart on the same address).
	stop func()
}

type gatewayOptions struct {
	// store defaults to memory:.
	store string
	// upstream replaces the real OIDC provider (for hostile-IdP cases).
	upstream upstream.Provider
	// idp shares one upstream between gateways.
	idp *testIdP
	// hostile is a scripted upstream replacing the real one.
	hostile *oidctest.Hostile
	// listener fixes the address (restart tests).
	listener net.Listener
	mutate   func(*config.Config)
	// tracer receives the gateway's traces.
	tracer trace.TracerProvider
	// upstreamClient replaces the HTTP client mcpgate reaches the IdP
	// with (fault injection).
	upstreamClient *http.Client
	// store replaces the store the configuration names.
	storeImpl store.Store
	// upstreamRetry is app.Options.UpstreamRetry.
	upstreamRetry time.Duration
}

func startGateway(t testing.TB, o gatewayOptions) *gateway {
	t.Helper()
	ln := o.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	base := "http://" + ln.Addr().String()
	idp := o.idp
	if idp == nil && o.upstream == nil && o.hostile == nil {
		idp = startIdP(t, base+"/oauth/callback")
	}
	env := []string{
		"MCPGATE_PUBLIC_URL=" + base,
		"MCPGATE_BACKEND_URL=http://127.0.0.1:1/mcp",
		"MCPGATE_STORE=memory:",
		"MCPGATE_UPSTREAM_CLIENT_SECRET=" + upstreamClientSecret,
	}
	switch {
	case idp != nil:
		env = append(env, "MCPGATE_UPSTREAM_ISSUER="+idp.Issuer(), "MCPGATE_UPSTREAM_CLIENT_ID="+idp.ClientID)
	case o.hostile != nil:
		env = append(env, "MCPGATE_UPSTREAM_ISSUER="+o.hostile.Issuer(), "MCPGATE_UPSTREAM_CLIENT_ID="+hostileClientID)
	default:
		env = append(env, "MCPGATE_UPSTREAM_ISSUER=https://idp.invalid", "MCPGATE_UPSTREAM_CLIENT_ID=x")
	}
	if o.store != "" {
		env = append(env, "MCPGATE_STORE="+o.store)
	}
	cfg, err := config.Load("", env)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	if o.mutate != nil {
		o.mutate(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	a, err := app.New(context.Background(), cfg, app.Options{
		Logger:             slog.New(slog.NewTextHandler(io.Discard, nil)),
		Upstream:           o.upstream,
		TracerProvider:     o.tracer,
		UpstreamHTTPClient: o.upstreamClient,
		Store:              o.storeImpl,
		UpstreamRetry:      o.upstreamRetry,
	})
	if err != nil {
		t.Fatalf("start mcpgate: %v", err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler}}
	srv.Start()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Close()
			a.Close()
		})
	}
	t.Cleanup(stop)
	return &gateway{URL: base, IdP: idp, App: a, cfg: cfg, stop: stop}
}

func (g *gateway) resource() string { return g.URL + "/mcp" }

var suffixes = make(chan int, 1)

func init() { suffixes <- 0 }

func randomSuffix() string {
	n := <-suffixes
	suffixes <- n + 1
	return fmt.Sprint(n)
}

// browser is a user agent that keeps cookies and does not follow redirects,
// so each hop can be checked.
type browser struct {
	t      testing.TB
	client *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) get(raw string) *http.Response {
	b.t.Helper()
	resp, err := b.client.Get(raw)
	if err != nil {
		b.t.Fatalf("GET %s: %v", raw, err)
	}
	return resp
}

func (b *browser) postForm(raw string, form url.Values) *http.Response {
	b.t.Helper()
	resp, err := b.client.PostForm(raw, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", raw, err)
	}
	return resp
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

var (
	csrfField    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)
)

// consentForm extracts the hidden fields of a consent page.
func consentForm(t testing.TB, page string) (requestID, csrf string) {
	t.Helper()
	r, c := requestField.FindStringSubmatch(page), csrfField.FindStringSubmatch(page)
	if r == nil || c == nil {
		t.Fatalf("not a consent page:\n%s", page)
	}
	return r[1], c[1]
}

// client is a registered OAuth client with one PKCE pair.
type client struct {
	ID, Secret  string
	RedirectURI string
	Verifier    string
}

func (c client) challenge() string {
	sum := sha256.Sum256([]byte(c.Verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (g *gateway) register(t testing.TB, metadata map[string]any) client {
	t.Helper()
	body, _ := json.Marshal(metadata)
	resp, err := http.Post(g.URL+"/register", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	text := readBody(t, resp)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: status %d: %s", resp.StatusCode, text)
	}
	var out struct {
		ClientID     string   `json:"client_id"`
		ClientSecret string   `json:"client_secret"`
		RedirectURIs []string `json:"redirect_uris"`
	}
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatal(err)
	}
	return client{ID: out.ClientID, Secret: out.ClientSecret, RedirectURI: out.RedirectURIs[0], Verifier: strings.Repeat("v", 20) + randomSuffix() + strings.Repeat("x", 30)}
}

func (g *gateway) registerPublic(t testing.TB) client {
	return g.register(t, map[string]any{
		"client_name":                "test client",
		"redirect_uris":              []string{"http://127.0.0.1:7777/callback"},
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
	})
}

// authorizeURL builds a well-formed authorization request; edit applies
// a test case's change.
func (g *gateway) authorizeURL(c client, edit func(url.Values)) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ID},
		"redirect_uri":          {c.RedirectURI},
		"state":                 {"client-state"},
		"code_challenge":        {c.challenge()},
		"code_challenge_method": {"S256"},
		"resource":              {g.resource()},
		"scope":                 {"mcp"},
	}
	if edit != nil {
		edit(q)
	}
	return g.URL + "/authorize?" + q.Encode()
}

// signIn runs the browser part: authorize, consent, upstream login,
// callback; it returns the redirect back to the client.
func (g *gateway) signIn(t testing.TB, b *browser, authURL string) *url.URL {
	t.Helper()
	upstreamURL := g.approve(t, b, authURL)
	cb, err := g.IdP.Login(context.Background(), b.client, upstreamURL)
	if err != nil {
		t.Fatalf("upstream login: %v", err)
	}
	return g.followCallback(t, b, cb.String())
}

// approve goes through /authorize and consent and returns the upstream URL.
func (g *gateway) approve(t testing.TB, b *browser, authURL string) string {
	t.Helper()
	resp := b.get(authURL)
	page := readBody(t, resp)
	if resp.StatusCode == http.StatusFound {
		return resp.Header.Get("Location") // consent remembered
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: status %d: %s", resp.StatusCode, page)
	}
	reqID, csrf := consentForm(t, page)
	resp = b.postForm(g.URL+"/consent", url.Values{"request": {reqID}, "csrf": {csrf}, "decision": {"approve"}})
	readBody(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: status %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func (g *gateway) followCallback(t testing.TB, b *browser, callbackURL string) *url.URL {
	t.Helper()
	resp := b.get(callbackURL)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("callback: status %d: %s", resp.StatusCode, body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// code signs in with a fresh browser and returns the authorization code.
func (g *gateway) code(t testing.TB, c client) string {
	t.Helper()
	back := g.signIn(t, newBrowser(t), g.authorizeURL(c, nil))
	code := back.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", back)
	}
	return code
}

// tokenResult is a token endpoint answer, success or error.
type tokenResult struct {
	Status       int
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

func (g *gateway) tokenRequest(t testing.TB, c client, form url.Values) tokenResult {
	t.Helper()
	if c.Secret == "" {
		form.Set("client_id", c.ID)
		return g.postToken(t, form, "", "")
	}
	return g.postToken(t, form, c.ID, c.Secret)
}

// postToken sends a token request, with Basic credentials when basicID is
// set, and reads the answer, success or error.
func (g *gateway) postToken(t testing.TB, form url.Values, basicID, basicSecret string) tokenResult {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out tokenResult
	if err := json.Unmarshal([]byte(readBody(t, resp)), &out); err != nil {
		t.Fatalf("token answer is not JSON: %v", err)
	}
	out.Status = resp.StatusCode
	return out
}

func (g *gateway) exchange(t testing.TB, c client, code string) tokenResult {
	t.Helper()
	return g.tokenRequest(t, c, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {c.RedirectURI},
		"code_verifier": {c.Verifier},
		"resource":      {g.resource()},
	})
}

func (g *gateway) refresh(t testing.TB, c client, refreshToken string) tokenResult {
	t.Helper()
	return g.tokenRequest(t, c, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
		"resource":      {g.resource()},
	})
}
