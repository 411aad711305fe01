package client

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"
)

// grantJWTBearer is RFC 7523's grant, which carries an ID-JAG.
const grantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Enterprise is enterprise-managed authorization (SEP-990) on the client
// side: the user is signed in to the company IdP already (IDToken), the
// IdP exchanges that identity (RFC 8693) for an ID-JAG addressed to the
// MCP server's authorization server, and that grant (RFC 7523) gets the
// MCP token: no browser, no consent screen.
type Enterprise struct {
	// Issuer is the company IdP (OpenID Connect): where the user signs in
	// when no IDToken is given, and whose discovery names TokenEndpoint
	// when that is not given.
	Issuer string
	// TokenEndpoint is the IdP's token endpoint; ClientID (and
	// ClientSecret) this client's registration at the IdP.
	TokenEndpoint          string
	ClientID, ClientSecret string
	// IDToken is the user's ID token from the IdP, when the caller has
	// one; otherwise the user signs in at Issuer.
	IDToken string

	mu       sync.Mutex
	idToken  string // from the last sign-in at the IdP
	idExpiry time.Time
}

// idToken is the user's ID token: the one given, or one from a sign-in
// at the IdP (the authorization code flow with PKCE and a nonce, through
// the browser and the loopback listener, the ID token verified), kept
// while it is valid.
func (c *Client) enterpriseIDToken(ctx context.Context) (string, error) {
	e := c.Enterprise
	if e.IDToken != "" {
		return e.IDToken, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.idToken != "" && c.now().Add(expiryMargin).Before(e.idExpiry) {
		return e.idToken, nil
	}
	if e.Issuer == "" {
		return "", errors.New("client: enterprise-managed authorization needs the user's ID token or the IdP's issuer to sign in at")
	}
	ctx = gooidc.ClientContext(ctx, c.httpClient())
	provider, err := gooidc.NewProvider(ctx, e.Issuer)
	if err != nil {
		return "", fmt.Errorf("client: discover the IdP: %w", err)
	}
	lb, err := listenLoopback(c.Port)
	if err != nil {
		return "", err
	}
	defer lb.close()
	cfg := oauth2.Config{ClientID: e.ClientID, ClientSecret: e.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: lb.redirectURL(), Scopes: []string{gooidc.ScopeOpenID, "email", "profile"}}
	verifier, state, nonce := oauth2.GenerateVerifier(), rand.Text(), rand.Text()
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce))
	open := c.Browser
	if open == nil {
		open = SystemBrowser(c.Out)
	}
	timeout := c.SignInTimeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	wctx, cancel := context.WithTimeoutCause(ctx, timeout, errors.New("the sign-in at the IdP took too long"))
	defer cancel()
	if err := open(wctx, authURL); err != nil {
		return "", err
	}
	res, err := lb.wait(wctx, state)
	if err != nil {
		return "", err
	}
	if res.Iss != "" && res.Iss != e.Issuer {
		return "", fmt.Errorf("client: the IdP's answer names another issuer (%s)", res.Iss)
	}
	tok, err := cfg.Exchange(ctx, res.Code, oauth2.VerifierOption(verifier))
	if err != nil {
		return "", fmt.Errorf("client: redeem the IdP's code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&gooidc.Config{ClientID: e.ClientID, Now: c.now}).Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("client: the IdP's ID token: %w", err)
	}
	if idt.Nonce != nonce {
		return "", errors.New("client: the IdP's ID token does not carry this sign-in's nonce")
	}
	e.idToken, e.idExpiry = raw, idt.Expiry
	return raw, nil
}

// tokenEndpoint is the IdP's token endpoint: given, or discovered.
func (c *Client) enterpriseTokenEndpoint(ctx context.Context) (string, error) {
	e := c.Enterprise
	if e.TokenEndpoint != "" {
		return e.TokenEndpoint, nil
	}
	provider, err := gooidc.NewProvider(gooidc.ClientContext(ctx, c.httpClient()), e.Issuer)
	if err != nil {
		return "", fmt.Errorf("client: discover the IdP: %w", err)
	}
	return provider.Endpoint().TokenURL, nil
}

// enterpriseAuthorize gets the MCP token through the IdP, for a server
// whose authorization server takes the jwt-bearer grant.
func (c *Client) enterpriseAuthorize(ctx context.Context, resource string, asm *oauthex.AuthServerMeta, scopes []string) (*Credentials, error) {
	e := c.Enterprise
	if c.ClientID == "" {
		return nil, errors.New("client: enterprise-managed authorization needs the client registered at the MCP server's authorization server (--client-id)")
	}
	idp := &oauthex.ClientCredentials{ClientID: e.ClientID}
	if e.ClientSecret != "" {
		idp.ClientSecretAuth = &oauthex.ClientSecretAuth{ClientSecret: e.ClientSecret}
	}
	idToken, err := c.enterpriseIDToken(ctx)
	if err != nil {
		return nil, err
	}
	tokenEndpoint, err := c.enterpriseTokenEndpoint(ctx)
	if err != nil {
		return nil, err
	}
	jag, err := oauthex.ExchangeToken(ctx, tokenEndpoint, &oauthex.TokenExchangeRequest{
		RequestedTokenType: oauthex.TokenTypeIDJAG,
		Audience:           asm.Issuer,
		Resource:           resource,
		Scope:              scopes,
		SubjectToken:       idToken,
		SubjectTokenType:   oauthex.TokenTypeIDToken,
	}, idp, c.httpClient())
	if err != nil {
		return nil, fmt.Errorf("client: exchange the IdP sign-in for an ID-JAG: %w", err)
	}
	if issued, _ := jag.Extra("issued_token_type").(string); issued != "" && issued != oauthex.TokenTypeIDJAG {
		return nil, fmt.Errorf("client: the IdP issued a %s, not an ID-JAG", issued)
	}
	tok, err := c.redeemIDJAG(ctx, asm, jag.AccessToken, resource)
	if err != nil {
		return nil, err
	}
	creds := &Credentials{Issuer: asm.Issuer, TokenEndpoint: asm.TokenEndpoint, RevocationEndpoint: asm.RevocationEndpoint,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, Registered: registeredPreregistered, Scopes: scopes}
	creds.setToken(tok)
	if err := c.Store.Update(resource, func(*Credentials) (*Credentials, error) { return creds, nil }); err != nil {
		return nil, err
	}
	c.log().Info("signed in through the IdP (enterprise-managed authorization)", "server", resource, "issuer", asm.Issuer)
	return creds, nil
}

// redeemIDJAG is the jwt-bearer grant at the MCP authorization server,
// the client authenticating as it registered there.
func (c *Client) redeemIDJAG(ctx context.Context, asm *oauthex.AuthServerMeta, jag, resource string) (*oauth2.Token, error) {
	form := url.Values{"grant_type": {grantJWTBearer}, "assertion": {jag}, "resource": {resource}}
	basic := c.ClientSecret != "" && (len(asm.TokenEndpointAuthMethodsSupported) == 0 || slices.Contains(asm.TokenEndpointAuthMethodsSupported, "client_secret_basic"))
	switch {
	case c.ClientSecret == "":
		form.Set("client_id", c.ClientID)
	case !basic:
		form.Set("client_id", c.ClientID)
		form.Set("client_secret", c.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, asm.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("client: redeem the ID-JAG: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: redeem the ID-JAG: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
		Scope        string `json:"scope"`
		Error        string `json:"error"`
		Description  string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("client: redeem the ID-JAG: the answer (HTTP %d) is not JSON", resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return nil, fmt.Errorf("client: redeem the ID-JAG: %s: %s", body.Error, body.Description)
	}
	tok := &oauth2.Token{AccessToken: body.AccessToken, TokenType: body.TokenType, RefreshToken: body.RefreshToken}
	if body.ExpiresIn > 0 {
		tok.Expiry = c.now().Add(time.Duration(body.ExpiresIn) * time.Second)
	}
	if body.Scope != "" {
		tok = tok.WithExtra(map[string]any{"scope": body.Scope})
	}
	return tok, nil
}

// usesEnterprise: configured for it, and the server takes the grant.
func (c *Client) usesEnterprise(asm *oauthex.AuthServerMeta) bool {
	return c.Enterprise != nil && slices.Contains(asm.GrantTypesSupported, grantJWTBearer)
}
