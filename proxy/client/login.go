package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"
)

// Client signs in to MCP servers and keeps their tokens.
type Client struct {
	Store *Store
	// HTTP reaches the MCP server and its authorization server; nil is a
	// client with a 30 s timeout.
	HTTP *http.Client
	// Browser opens the authorization URL; nil is the system browser.
	Browser Browser
	// Port is the loopback listener's port; 0 picks a free one.
	Port int
	// ClientMetadataURL is this client's Client ID Metadata Document,
	// used where the server supports them.
	ClientMetadataURL string
	// ClientID and ClientSecret are a client registered beforehand.
	ClientID, ClientSecret string
	// ClientName is sent in dynamic registrations.
	ClientName string
	// Scopes, when set, are asked for at sign-in instead of those the
	// server names; a step-up still asks for what the server requires.
	Scopes []string
	// Enterprise, when set, signs in through the company IdP with an
	// ID-JAG wherever the server's authorization server takes one.
	Enterprise *Enterprise
	// NoDPoP asks for bearer tokens even from a server that would bind
	// them to a key: for scripts that send the token themselves.
	NoDPoP bool
	// SignInTimeout bounds the wait for the user; 0 is 5 minutes.
	SignInTimeout time.Duration
	// Out receives what the user must read (the URL to open).
	Out io.Writer
	Log *slog.Logger
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// httpClientWith is the HTTP client with DPoP proofs by key on its
// POSTs, or the plain one when key is nil.
func (c *Client) httpClientWith(key *dpopKey) *http.Client {
	hc := c.httpClient()
	if key == nil {
		return hc
	}
	return &http.Client{Timeout: hc.Timeout, Jar: hc.Jar, CheckRedirect: hc.CheckRedirect,
		Transport: dpopTransport{key: key, base: hc.Transport}}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Login signs the user in to the MCP server at mcpURL: it asks the
// server without a token, and follows its 401 challenge.
func (c *Client) Login(ctx context.Context, mcpURL string) (*Credentials, error) {
	req, resp, err := c.probe(ctx, mcpURL)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusUnauthorized {
		resp.Body.Close()
		return nil, fmt.Errorf("client: %s answered %d without a token: it does not ask for a sign-in", mcpURL, resp.StatusCode)
	}
	return c.Authorize(ctx, req, resp)
}

// probe sends the MCP server a ping without a token.
func (c *Client) probe(ctx context.Context, mcpURL string) (*http.Request, *http.Response, error) {
	body := []byte(`{"jsonrpc":"2.0","id":0,"method":"ping"}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, mcpURL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("client: reach %s: %w", mcpURL, err)
	}
	return req, resp, nil
}

// Authorize signs in in answer to a 401 (or a 403 insufficient_scope
// step-up) that the MCP server sent for req, and stores the result. It
// closes resp's body.
func (c *Client) Authorize(ctx context.Context, req *http.Request, resp *http.Response) (*Credentials, error) {
	defer resp.Body.Close()
	resource := req.URL.String()
	challenges, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return nil, fmt.Errorf("client: the server's challenge: %w", err)
	}
	prm, err := c.resourceMetadata(ctx, challenges, resource)
	if err != nil {
		return nil, err
	}
	asm, err := auth.GetAuthServerMetadata(ctx, prm.AuthorizationServers[0], c.httpClient())
	if err != nil {
		return nil, fmt.Errorf("client: the authorization server's metadata: %w", err)
	}
	if asm == nil {
		// A 2025-03-26 server without metadata: its endpoints are at fixed
		// paths (the handler falls back the same way).
		root := strings.TrimSuffix(prm.AuthorizationServers[0], "/")
		asm = &oauthex.AuthServerMeta{Issuer: root, AuthorizationEndpoint: root + "/authorize",
			TokenEndpoint: root + "/token", RegistrationEndpoint: root + "/register"}
	}
	if c.usesEnterprise(asm) {
		scopes := c.Scopes
		if len(scopes) == 0 {
			scopes = challengeScopes(challenges, prm.ScopesSupported)
		}
		return c.enterpriseAuthorize(ctx, resource, asm, scopes)
	}
	stored, err := c.Store.Get(resource)
	if err != nil {
		return nil, err
	}

	// A server that binds tokens to keys gets proofs at its token
	// endpoint, by the key kept for it (a bound refresh token needs the
	// same one).
	var key *dpopKey
	if !c.NoDPoP && supportsES256(c.dpopAlgorithms(ctx, asm.Issuer)) {
		if stored != nil && stored.Issuer == asm.Issuer && stored.DPoPKey != "" {
			key, err = decodeDPoPKey(stored.DPoPKey)
		} else {
			key, err = newDPoPKey()
		}
		if err != nil {
			return nil, err
		}
	}
	lb, err := listenLoopback(c.Port)
	if err != nil {
		return nil, err
	}
	defer lb.close()
	timeout := c.SignInTimeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	var (
		used   *oauth2.Config
		issued *oauth2.Token
	)
	cfg := &auth.AuthorizationCodeHandlerConfig{
		RedirectURL:           lb.redirectURL(),
		RequestRefreshToken:   true,
		AcceptUnadvertisedIss: true, // a matching iss is fine; a wrong one is still refused
		Client:                c.httpClientWith(key),
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			u, err := url.Parse(args.URL)
			if err != nil {
				return nil, fmt.Errorf("client: authorization URL: %w", err)
			}
			ctx, cancel := context.WithTimeoutCause(ctx, timeout, errors.New("the sign-in took too long"))
			defer cancel()
			open := c.Browser
			if open == nil {
				open = SystemBrowser(c.Out)
			}
			if err := open(ctx, args.URL); err != nil {
				return nil, err
			}
			return lb.wait(ctx, u.Query().Get("state"))
		},
		NewTokenSource: func(ctx context.Context, cfg *oauth2.Config, tok *oauth2.Token) (oauth2.TokenSource, error) {
			used, issued = cfg, tok
			return cfg.TokenSource(ctx, tok), nil
		},
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			ClientName:              c.clientName(),
			RedirectURIs:            []string{lb.redirectURL()},
			GrantTypes:              []string{"authorization_code", "refresh_token"},
			ResponseTypes:           []string{"code"},
			TokenEndpointAuthMethod: "none",
			ApplicationType:         "native",
		}},
	}
	cfg.ScopeFilter = func(discovered []string) []string {
		asked := discovered
		if len(c.Scopes) > 0 && resp.StatusCode == http.StatusUnauthorized {
			asked = c.Scopes
		}
		// A re-authorization (a step-up, or a grant that ended) keeps what
		// was granted before at this server (SEP-2350): a step-up must not
		// cost the scopes it did not name. offline_access is the handler's
		// to add, where the server supports it.
		if stored != nil && stored.Issuer == asm.Issuer {
			var kept []string
			for _, sc := range stored.Scopes {
				if sc != "offline_access" && !slices.Contains(asked, sc) {
					kept = append(kept, sc)
				}
			}
			asked = append(kept, asked...)
		}
		return asked
	}
	if c.ClientMetadataURL != "" {
		cfg.ClientIDMetadataDocumentConfig = &auth.ClientIDMetadataDocumentConfig{URL: c.ClientMetadataURL}
	}
	switch {
	case c.ClientID != "":
		cfg.PreregisteredClient = &oauthex.ClientCredentials{ClientID: c.ClientID}
		if c.ClientSecret != "" {
			cfg.PreregisteredClient.ClientSecretAuth = &oauthex.ClientSecretAuth{ClientSecret: c.ClientSecret}
		}
	case stored != nil && stored.Registered == registeredDCR && stored.Issuer == asm.Issuer && stored.ClientID != "":
		// Registered before at this very authorization server: reuse the
		// client rather than register one per sign-in. A server that moved
		// to another authorization server gets a new registration.
		cfg.PreregisteredClient = &oauthex.ClientCredentials{ClientID: stored.ClientID, Issuer: stored.Issuer}
		if stored.ClientSecret != "" {
			cfg.PreregisteredClient.ClientSecretAuth = &oauthex.ClientSecretAuth{ClientSecret: stored.ClientSecret}
		}
	}
	h, err := auth.NewAuthorizationCodeHandler(cfg)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	// The handler reads the challenge from resp again; give it a fresh
	// body, since it closes that too.
	again := *resp
	again.Body = io.NopCloser(strings.NewReader(""))
	if err := h.Authorize(ctx, req, &again); err != nil {
		return nil, fmt.Errorf("client: sign in to %s: %w", resource, err)
	}
	if issued == nil {
		return nil, fmt.Errorf("client: sign in to %s: no token was issued", resource)
	}
	creds := &Credentials{
		Issuer:             asm.Issuer,
		TokenEndpoint:      used.Endpoint.TokenURL,
		RevocationEndpoint: asm.RevocationEndpoint,
		ClientID:           used.ClientID,
		ClientSecret:       used.ClientSecret,
		Registered:         c.registration(used.ClientID, cfg),
		Scopes:             used.Scopes,
	}
	creds.setToken(issued)
	if key != nil {
		if creds.DPoPKey, err = key.encode(); err != nil {
			return nil, err
		}
	}
	if err := c.Store.Update(resource, func(*Credentials) (*Credentials, error) { return creds, nil }); err != nil {
		return nil, err
	}
	c.log().Info("signed in", "server", resource, "issuer", asm.Issuer, "client_id", creds.ClientID, "registered", creds.Registered)
	return creds, nil
}

const (
	registeredCIMD          = "cimd"
	registeredPreregistered = "preregistered"
	registeredDCR           = "dcr"
)

func (c *Client) registration(clientID string, cfg *auth.AuthorizationCodeHandlerConfig) string {
	switch {
	case cfg.ClientIDMetadataDocumentConfig != nil && clientID == cfg.ClientIDMetadataDocumentConfig.URL:
		return registeredCIMD
	case c.ClientID != "" && clientID == c.ClientID:
		return registeredPreregistered
	}
	return registeredDCR
}

func (c *Client) clientName() string {
	if c.ClientName != "" {
		return c.ClientName
	}
	return "mcpgate"
}

func (cr *Credentials) setToken(t *oauth2.Token) {
	cr.AccessToken = t.AccessToken
	cr.TokenType = t.TokenType
	if t.RefreshToken != "" {
		cr.RefreshToken = t.RefreshToken
	}
	cr.Expiry = t.Expiry
	if s, ok := t.Extra("scope").(string); ok && s != "" {
		cr.Scopes = strings.Fields(s)
	}
}

// resourceMetadata finds the RFC 9728 protected resource metadata: at the
// URL the challenge names, then at the path-suffixed well-known URL, then
// at the root, each checked against the resource it was asked for.
func (c *Client) resourceMetadata(ctx context.Context, challenges []oauthex.Challenge, resource string) (*oauthex.ProtectedResourceMetadata, error) {
	type candidate struct{ metadataURL, resource string }
	var candidates []candidate
	for _, ch := range challenges {
		if strings.EqualFold(ch.Scheme, "bearer") && ch.Params["resource_metadata"] != "" {
			candidates = append(candidates, candidate{ch.Params["resource_metadata"], resource})
		}
	}
	u, err := url.Parse(resource)
	if err != nil {
		return nil, fmt.Errorf("client: MCP server URL: %w", err)
	}
	root := *u
	root.Path, root.RawPath, root.RawQuery = "", "", ""
	suffixed := root
	suffixed.Path = "/.well-known/oauth-protected-resource" + strings.TrimSuffix(u.Path, "/")
	atRoot := root
	atRoot.Path = "/.well-known/oauth-protected-resource"
	candidates = append(candidates, candidate{suffixed.String(), resource}, candidate{atRoot.String(), root.String()})
	var errs []error
	for _, cand := range candidates {
		prm, err := oauthex.GetProtectedResourceMetadata(ctx, cand.metadataURL, cand.resource, c.httpClient())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prm == nil {
			continue
		}
		if len(prm.AuthorizationServers) == 0 {
			return nil, fmt.Errorf("client: %s names no authorization server", cand.metadataURL)
		}
		return prm, nil
	}
	// A 2025-03-26 server has no resource metadata: its origin is the
	// authorization server.
	c.log().Debug("no protected resource metadata; trying the server's origin as its authorization server", "server", resource, "err", errors.Join(errs...))
	return &oauthex.ProtectedResourceMetadata{Resource: resource, AuthorizationServers: []string{root.String()}}, nil
}

// challengeScopes are the scopes a challenge names, else those the
// resource metadata lists.
func challengeScopes(challenges []oauthex.Challenge, supported []string) []string {
	for _, ch := range challenges {
		if strings.EqualFold(ch.Scheme, "bearer") && ch.Params["scope"] != "" {
			return strings.Fields(ch.Params["scope"])
		}
	}
	return supported
}
