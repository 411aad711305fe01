// Package github is an upstream.Provider for GitHub and GitHub Enterprise
// Server, which sign users in with OAuth 2 but not OpenID Connect: there is
// no ID token, so the identity comes from the REST API with the access
// token, and an organization or team membership becomes a group ("acme",
// "acme/platform") that the sign-in policy and the rules can name.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
)

var _ upstream.Provider = (*Provider)(nil)

// Scopes are what mcpgate needs to read who the user is, their verified
// email, and their organizations and teams.
var Scopes = []string{"read:user", "user:email", "read:org"}

// DefaultBaseURL is github.com.
const DefaultBaseURL = "https://github.com"

// Config configures a Provider.
type Config struct {
	// BaseURL is https://github.com (the default) or a GitHub Enterprise
	// Server URL such as https://github.example.com.
	BaseURL      string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// Scopes defaults to Scopes.
	Scopes     []string
	HTTPClient *http.Client
}

// Provider is the GitHub upstream.Provider.
type Provider struct {
	base   string // the subject's prefix: the web URL, no trailing slash
	api    string // the REST API's root
	oauth  oauth2.Config
	client *http.Client
}

// maxPages bounds each paginated listing (100 entries a page): a user in
// more organizations or teams than that is read no further.
const maxPages = 10

// New returns a Provider.
func New(cfg Config) (*Provider, error) {
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("github: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("github: client id and redirect URL are required")
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = Scopes
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Provider{
		base: base,
		api:  apiRoot(base),
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:  base + "/login/oauth/authorize",
				TokenURL: base + "/login/oauth/access_token",
				// Never auto-detected: a retry would send the code twice.
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		client: client,
	}, nil
}

// apiRoot is api.github.com for github.com, and /api/v3 on an Enterprise
// Server.
func apiRoot(base string) string {
	if base == DefaultBaseURL {
		return "https://api.github.com"
	}
	return base + "/api/v3"
}

// AuthCodeURL implements upstream.Provider. GitHub has no nonce; state
// and PKCE protect the flow.
func (p *Provider) AuthCodeURL(lp upstream.LoginParams) string {
	return p.oauth.AuthCodeURL(lp.State, oauth2.S256ChallengeOption(lp.Verifier))
}

// Exchange implements upstream.Provider.
func (p *Provider) Exchange(ctx context.Context, cb upstream.Callback, lp upstream.LoginParams) (upstream.Identity, error) {
	if cb.Code == "" || lp.Verifier == "" {
		return upstream.Identity{}, errors.New("github: callback has no code, or the login no verifier")
	}
	if cb.Iss != "" && cb.Iss != p.base {
		return upstream.Identity{}, fmt.Errorf("%w: iss response parameter %q is not GitHub's", upstream.ErrVerification, cb.Iss)
	}
	tok, err := p.oauth.Exchange(context.WithValue(ctx, oauth2.HTTPClient, p.client), cb.Code, oauth2.VerifierOption(lp.Verifier))
	if err != nil {
		return upstream.Identity{}, fmt.Errorf("github: exchange code: %w", err)
	}
	id, err := p.Identify(ctx, tok.AccessToken)
	if err != nil {
		return upstream.Identity{}, err
	}
	id.Tokens = upstream.Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
	return id, nil
}

type user struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
}

type email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

type org struct {
	Login string `json:"login"`
}

type team struct {
	Slug         string `json:"slug"`
	Organization org    `json:"organization"`
}

// Identify reads who holds accessToken: the user, their verified primary
// email, and their organizations and teams as groups. It is also how a
// later check finds out whether the user still may sign in.
func (p *Provider) Identify(ctx context.Context, accessToken string) (upstream.Identity, error) {
	var u user
	if _, err := p.get(ctx, accessToken, p.api+"/user", &u); err != nil {
		return upstream.Identity{}, err
	}
	if u.ID == 0 {
		return upstream.Identity{}, fmt.Errorf("%w: GitHub's /user has no id", upstream.ErrVerification)
	}
	id := upstream.Identity{Subject: p.base + "#" + strconv.FormatInt(u.ID, 10), Name: u.Name}
	if id.Name == "" {
		id.Name = u.Login
	}
	emails, err := list[email](ctx, p, accessToken, "/user/emails")
	if err != nil {
		return upstream.Identity{}, err
	}
	for _, e := range emails {
		if e.Primary {
			id.Email, id.EmailVerified = e.Email, e.Verified
		}
	}
	orgs, err := list[org](ctx, p, accessToken, "/user/orgs")
	if err != nil {
		return upstream.Identity{}, err
	}
	for _, o := range orgs {
		if o.Login != "" {
			id.Groups = append(id.Groups, o.Login)
		}
	}
	teams, err := list[team](ctx, p, accessToken, "/user/teams")
	if err != nil {
		return upstream.Identity{}, err
	}
	for _, t := range teams {
		if t.Slug != "" && t.Organization.Login != "" {
			id.Groups = append(id.Groups, t.Organization.Login+"/"+t.Slug)
		}
	}
	return id, nil
}

// list reads every page of a listing, following the Link header.
func list[T any](ctx context.Context, p *Provider, token, path string) ([]T, error) {
	var all []T
	next := p.api + path + "?per_page=100"
	for page := 0; next != "" && page < maxPages; page++ {
		var items []T
		link, err := p.get(ctx, token, next, &items)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		next = nextPage(link, p.api)
	}
	return all, nil
}

// nextPage is the rel="next" URL of a Link header, if it stays on the API.
func nextPage(link, api string) string {
	for part := range strings.SplitSeq(link, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.Contains(params, `rel="next"`) {
			continue
		}
		target = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(target), "<"), ">")
		if strings.HasPrefix(target, api+"/") {
			return target
		}
	}
	return ""
}

// get fetches one API document into v and returns its Link header.
func (p *Provider) get(ctx context.Context, token, target string, v any) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", fmt.Errorf("github: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := p.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("github: get %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return "", fmt.Errorf("%w: github: the access token was refused", ErrTokenRefused)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("github: get %s: HTTP %d", req.URL.Path, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(v); err != nil {
		return "", fmt.Errorf("github: read %s: %w", req.URL.Path, err)
	}
	return resp.Header.Get("Link"), nil
}

// ErrTokenRefused is Identify's error when GitHub no longer accepts the
// access token (revoked, or the user removed the authorization).
var ErrTokenRefused = errors.New("github: token refused")

var _ upstream.Refresher = (*Provider)(nil)

// Refreshable implements upstream.Refresher: any token will do.
func (p *Provider) Refreshable(t upstream.Tokens) bool {
	return t.AccessToken != "" || t.RefreshToken != ""
}

// Refresh implements upstream.Refresher. A GitHub OAuth app's token has
// no refresh token and does not expire: the user is read again with it.
// A GitHub App's user token expires (8 hours) and comes with a refresh
// token, which is redeemed first. A token GitHub refuses (the user revoked
// the app, or was removed) ends the grant.
func (p *Provider) Refresh(ctx context.Context, subject string, t upstream.Tokens) (upstream.Identity, error) {
	if t.RefreshToken != "" {
		tok, err := p.oauth.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, p.client), &oauth2.Token{RefreshToken: t.RefreshToken}).Token()
		var re *oauth2.RetrieveError
		switch {
		case errors.As(err, &re) && (re.ErrorCode == "bad_refresh_token" || re.ErrorCode == "invalid_grant"):
			return upstream.Identity{}, fmt.Errorf("%w: github: %s", upstream.ErrGrantRevoked, re.ErrorCode)
		case err != nil:
			return upstream.Identity{}, fmt.Errorf("github: refresh: %w", err)
		}
		old := t.RefreshToken
		t = upstream.Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
		if t.RefreshToken == "" {
			t.RefreshToken = old
		}
	}
	id, err := p.Identify(ctx, t.AccessToken)
	switch {
	case errors.Is(err, ErrTokenRefused):
		return upstream.Identity{}, fmt.Errorf("%w: %w", upstream.ErrGrantRevoked, err)
	case err != nil:
		return upstream.Identity{}, err
	case id.Subject != subject:
		return upstream.Identity{}, fmt.Errorf("%w: the token is another GitHub user's", upstream.ErrVerification)
	}
	id.Tokens = t
	return id, nil
}
