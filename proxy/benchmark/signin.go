package benchmark

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/proxy/dpop"
	"github.com/mcpgate/mcpgate/upstream/devidp"
)

// clientRedirect is where mcpgate sends the code; nothing listens there,
// and nothing needs to: the sign-in reads the code off the redirect.
const clientRedirect = "http://127.0.0.1:7777/callback"

var errNoToken = errors.New("benchmark: sign-in returned no access token")

var (
	consentRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)
	consentCSRF    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// AccessToken gets a token the way an MCP client does: dynamic client
// registration, authorization code with PKCE, consent, sign-in at the
// upstream IdP, callback, code exchange. The token is then as real as a
// production one (same claims, same signing key), and the hot path is
// measured with what clients actually send.
func (g *Gateway) AccessToken(ctx context.Context) (string, error) {
	clientID, err := g.registerClient(ctx)
	if err != nil {
		return "", err
	}
	t, err := g.SignIn(ctx, clientID)
	return t.Access, err
}

// Tokens are what a sign-in or a refresh gives a client.
type Tokens struct {
	ClientID, Access, Refresh string
}

// SignIn signs in again with a client AccessToken or RegisterClient
// registered: authorization, consent, the IdP, the callback, the code.
func (g *Gateway) SignIn(ctx context.Context, clientID string) (Tokens, error) {
	verifier := randomString()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {clientRedirect},
		"state":                 {randomString()},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		"resource":              {g.MCPURL()},
		"scope":                 {"mcp"},
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	page, upstreamURL, err := fetch(ctx, browser, http.MethodGet, g.URL+"/authorize?"+q.Encode(), nil, http.StatusOK, http.StatusFound)
	if err != nil {
		return Tokens{}, fmt.Errorf("benchmark: authorize: %w", err)
	}
	if upstreamURL == "" {
		// The consent page; a user who approved this client before goes
		// straight to the IdP.
		req, csrf := consentRequest.FindStringSubmatch(page), consentCSRF.FindStringSubmatch(page)
		if req == nil || csrf == nil {
			return Tokens{}, fmt.Errorf("benchmark: authorize: no consent form in %.200q", page)
		}
		form := url.Values{"request": {html.UnescapeString(req[1])}, "csrf": {html.UnescapeString(csrf[1])}, "decision": {"approve"}}
		if _, upstreamURL, err = fetch(ctx, browser, http.MethodPost, g.URL+"/consent", form, http.StatusFound); err != nil {
			return Tokens{}, fmt.Errorf("benchmark: consent: %w", err)
		}
	}
	callback, err := devidp.SubmitLogin(ctx, browser, upstreamURL, "Bench User", "bench@example.com", []string{"engineering", "bench"})
	if err != nil {
		return Tokens{}, err
	}
	_, back, err := fetch(ctx, browser, http.MethodGet, callback.String(), nil, http.StatusFound)
	if err != nil {
		return Tokens{}, fmt.Errorf("benchmark: callback: %w", err)
	}
	u, err := url.Parse(back)
	if err != nil || u.Query().Get("code") == "" {
		return Tokens{}, fmt.Errorf("benchmark: callback: no code in %q", back)
	}
	return g.token(ctx, clientID, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {u.Query().Get("code")},
		"redirect_uri":  {clientRedirect},
		"code_verifier": {verifier},
	})
}

// Refresh exchanges a refresh token for new tokens.
func (g *Gateway) Refresh(ctx context.Context, t Tokens) (Tokens, error) {
	return g.token(ctx, t.ClientID, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t.Refresh}})
}

// Revoke revokes the grant of a refresh token (RFC 7009).
func (g *Gateway) Revoke(ctx context.Context, t Tokens) error {
	form := url.Values{"client_id": {t.ClientID}, "token": {t.Refresh}, "token_type_hint": {"refresh_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := benchClient.Do(req)
	if err != nil {
		return fmt.Errorf("benchmark: revoke: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("benchmark: revoke: status %d", resp.StatusCode)
	}
	return nil
}

var newToken = regexp.MustCompile(`<code id="new-token">([^<]+)</code>`)

// PersonalToken gets a personal access token the way a user does: sign in
// on the account page through the IdP, make a token for the MCP endpoint.
func (g *Gateway) PersonalToken(ctx context.Context) (string, error) {
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, upstreamURL, err := fetch(ctx, browser, http.MethodGet, g.URL+"/account/signin", nil, http.StatusFound)
	if err != nil {
		return "", fmt.Errorf("benchmark: account sign-in: %w", err)
	}
	callback, err := devidp.SubmitLogin(ctx, browser, upstreamURL, "Bench User", "bench@example.com", []string{"engineering", "bench"})
	if err != nil {
		return "", err
	}
	if _, _, err := fetch(ctx, browser, http.MethodGet, callback.String(), nil, http.StatusFound); err != nil {
		return "", fmt.Errorf("benchmark: callback: %w", err)
	}
	page, _, err := fetch(ctx, browser, http.MethodGet, g.URL+"/account", nil, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("benchmark: account page: %w", err)
	}
	csrf := consentCSRF.FindStringSubmatch(page)
	if csrf == nil {
		return "", fmt.Errorf("benchmark: account page: no form in %.200q", page)
	}
	form := url.Values{"csrf": {html.UnescapeString(csrf[1])}, "name": {"benchmark"}, "lifetime": {"168"}, "server": {g.MCPURL()}}
	page, _, err = fetch(ctx, browser, http.MethodPost, g.URL+"/account/tokens", form, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("benchmark: make token: %w", err)
	}
	m := newToken.FindStringSubmatch(page)
	if m == nil {
		return "", errNoToken
	}
	return m[1], nil
}

// RegisterClient registers a public client by DCR and returns its id.
func (g *Gateway) RegisterClient(ctx context.Context) (string, error) { return g.registerClient(ctx) }

func (g *Gateway) registerClient(ctx context.Context) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"client_name":                "mcpgate benchmark",
		"redirect_uris":              []string{clientRedirect},
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/register", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		ClientID string `json:"client_id"`
	}
	if err := doJSON(req, http.StatusCreated, &out); err != nil {
		return "", fmt.Errorf("benchmark: register: %w", err)
	}
	return out.ClientID, nil
}

// token makes a token request for clientID with the MCP resource.
func (g *Gateway) token(ctx context.Context, clientID string, form url.Values) (Tokens, error) {
	form.Set("client_id", clientID)
	form.Set("resource", g.MCPURL())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return Tokens{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if g.DPoP != nil {
		proof, err := dpop.NewProof(g.DPoP, jose.ES256, http.MethodPost, g.URL+"/token", "", "", time.Now())
		if err != nil {
			return Tokens{}, err
		}
		req.Header.Set("DPoP", proof)
	}
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := doJSON(req, http.StatusOK, &out); err != nil {
		return Tokens{}, fmt.Errorf("benchmark: token: %w", err)
	}
	if out.AccessToken == "" {
		return Tokens{}, errNoToken
	}
	return Tokens{ClientID: clientID, Access: out.AccessToken, Refresh: out.RefreshToken}, nil
}

// fetch sends a browser request and returns the page and the Location
// header, failing unless the status is want.
func fetch(ctx context.Context, c *http.Client, method, raw string, form url.Values, want ...int) (page, location string, err error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, raw, body)
	if err != nil {
		return "", "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", err
	}
	if !slices.Contains(want, resp.StatusCode) {
		return "", "", fmt.Errorf("status %d: %.200q", resp.StatusCode, b)
	}
	return string(b), resp.Header.Get("Location"), nil
}

// benchClient is the client of the token, registration and revocation
// requests: one, so that a long run reuses its connections.
var benchClient = &http.Client{Timeout: 10 * time.Second}

func doJSON(req *http.Request, want int, out any) error {
	resp, err := benchClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %d: %.200q", resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
