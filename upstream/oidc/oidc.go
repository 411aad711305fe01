package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
)

var _ upstream.Provider = (*Provider)(nil)

// Config configures a Provider.
type Config struct {
	// Issuer must be exactly the issuer the IdP advertises in discovery.
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// Scopes defaults to openid, email, profile; openid is always added.
	Scopes []string
	// GroupsClaim names the ID token claim holding group names; default
	// "groups".
	GroupsClaim string
	// AuthParams are extra authorization request parameters (prompt, hd,
	// domain_hint...). Parameters the flow's security rests on are refused.
	AuthParams map[string]string
	// HTTPClient is used for discovery, JWKS, token and userinfo requests;
	// default is a client with a 30s timeout.
	HTTPClient *http.Client
	// Now is the clock for ID token expiry; default time.Now.
	Now func() time.Time
	// DiscoveryIssuer is the issuer the discovery document advertises when
	// it is not Issuer: Entra ID's multi-tenant endpoints advertise a
	// template ("…/{tenantid}/v2.0"). go-oidc then leaves the ID token's
	// iss unchecked, and Check must check it.
	DiscoveryIssuer string
	// Check runs on every sign-in whose ID token verified: it may refuse
	// the user (return an *upstream.Refusal) or adjust the identity.
	Check func(ctx context.Context, s *SignIn) error
}

// SignIn is what a Config.Check sees of a verified sign-in.
type SignIn struct {
	// Issuer is the ID token's iss.
	Issuer string
	// Claims are the ID token's claims, with userinfo's added.
	Claims map[string]json.RawMessage
	// Token is the IdP's token response (its access token may call the
	// IdP's APIs).
	Token *oauth2.Token
	// Identity is what the sign-in maps to; Check may change it.
	Identity *upstream.Identity
}

// String is a claim's value if it is a string, else "".
func (s *SignIn) String(name string) string { return str(s.Claims[name]) }

// ReservedParams are set by the Provider itself, or would change how the
// response comes back (response_mode, request objects), or are refused by
// some IdPs (Entra rejects resource in v2 requests).
var ReservedParams = []string{
	"state", "nonce", "code_challenge", "code_challenge_method",
	"redirect_uri", "client_id", "response_type", "scope", "resource",
	"response_mode", "request", "request_uri", "code_verifier",
}

// Provider is an OpenID Connect upstream.Provider.
type Provider struct {
	issuer      string
	oauth       oauth2.Config
	verifier    *gooidc.IDTokenVerifier
	op          *gooidc.Provider
	client      *http.Client
	authParams  []oauth2.AuthCodeOption
	groupsClaim string
	// issRequired is set when the IdP promises the RFC 9207 iss parameter,
	// so its absence means the response did not come from this IdP.
	issRequired bool
	check       func(ctx context.Context, s *SignIn) error
	now         func() time.Time
	// issuerUnchecked: ID tokens are verified without go-oidc's issuer
	// check, which check makes instead (a discovery issuer of its own).
	issuerUnchecked bool
}

// DiscoveryError is a New that failed at the IdP (unreachable, slow, a
// document refused), not in the configuration: worth trying again later.
type DiscoveryError struct {
	Issuer string
	Err    error
}

func (e *DiscoveryError) Error() string {
	return "upstream: discover " + e.Issuer + ": " + e.Err.Error()
}
func (e *DiscoveryError) Unwrap() error { return e.Err }

// discovery holds the metadata go-oidc does not expose, and the URLs
// mcpgate checks before it sends anything to them.
type discovery struct {
	IssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`

	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
}

// checkEndpoints refuses a discovery document whose URLs would take
// mcpgate's client secret, the user's browser or the key lookup somewhere
// an https issuer did not mean: a plain-http endpoint (the secret and
// codes in the clear), credentials in the URL, a relative or opaque URL.
// Each problem is reported.
func checkEndpoints(issuer string, d discovery) error {
	iss, err := url.Parse(issuer)
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	var problems []error
	for _, e := range []struct {
		name, value string
		required    bool
	}{
		{"authorization_endpoint", d.AuthorizationEndpoint, true},
		{"token_endpoint", d.TokenEndpoint, true},
		{"jwks_uri", d.JWKSURI, true},
		{"userinfo_endpoint", d.UserinfoEndpoint, false},
		{"end_session_endpoint", d.EndSessionEndpoint, false},
		{"revocation_endpoint", d.RevocationEndpoint, false},
	} {
		if e.value == "" {
			if e.required {
				problems = append(problems, fmt.Errorf("%s is missing", e.name))
			}
			continue
		}
		u, err := url.Parse(e.value)
		switch {
		case err != nil || u.Host == "" || u.Opaque != "":
			problems = append(problems, fmt.Errorf("%s %q is not an absolute URL", e.name, e.value))
		case u.Scheme != "https" && !(u.Scheme == "http" && iss.Scheme == "http"):
			problems = append(problems, fmt.Errorf("%s %q must be https, as the issuer is", e.name, e.value))
		case u.User != nil:
			problems = append(problems, fmt.Errorf("%s must not carry credentials", e.name))
		case u.Fragment != "":
			problems = append(problems, fmt.Errorf("%s must not have a fragment", e.name))
		}
	}
	return errors.Join(problems...)
}

// New discovers the IdP at cfg.Issuer and returns a Provider for it.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("upstream: issuer, client id and redirect URL are required")
	}
	var params []oauth2.AuthCodeOption
	for k, v := range cfg.AuthParams {
		if slices.Contains(ReservedParams, strings.ToLower(k)) {
			return nil, fmt.Errorf("upstream: auth param %q is reserved", k)
		}
		params = append(params, oauth2.SetAuthURLParam(k, v))
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	discoverCtx := gooidc.ClientContext(ctx, client)
	if cfg.DiscoveryIssuer != "" {
		if cfg.Check == nil {
			return nil, errors.New("upstream: a discovery issuer other than the issuer needs a check of the ID token's iss")
		}
		discoverCtx = gooidc.InsecureIssuerURLContext(discoverCtx, cfg.DiscoveryIssuer)
	}
	op, err := gooidc.NewProvider(discoverCtx, cfg.Issuer)
	if err != nil {
		return nil, &DiscoveryError{Issuer: cfg.Issuer, Err: err}
	}
	var meta discovery
	if err := op.Claims(&meta); err != nil {
		return nil, &DiscoveryError{Issuer: cfg.Issuer, Err: err}
	}
	if err := checkEndpoints(cfg.Issuer, meta); err != nil {
		return nil, &DiscoveryError{Issuer: cfg.Issuer, Err: err}
	}
	endpoint := op.Endpoint()
	endpoint.AuthStyle = authStyle(meta.TokenAuthMethods)

	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{gooidc.ScopeOpenID, "email", "profile"}
	}
	if !slices.Contains(scopes, gooidc.ScopeOpenID) {
		scopes = append([]string{gooidc.ScopeOpenID}, scopes...)
	}
	groups := cfg.GroupsClaim
	if groups == "" {
		groups = "groups"
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Provider{
		issuer: cfg.Issuer,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
		},
		verifier:        op.Verifier(&gooidc.Config{ClientID: cfg.ClientID, Now: cfg.Now, SkipIssuerCheck: cfg.DiscoveryIssuer != ""}),
		op:              op,
		client:          client,
		authParams:      params,
		groupsClaim:     groups,
		issRequired:     meta.IssParameterSupported,
		check:           cfg.Check,
		issuerUnchecked: cfg.DiscoveryIssuer != "",
		now:             now,
	}, nil
}

// maxClockSkew is how far in the future an ID token's iat may be.
const maxClockSkew = 5 * time.Minute

// authStyle picks client authentication from discovery rather than letting
// x/oauth2 auto-detect: auto-detection retries a failed request, which would
// send the authorization code to the IdP a second time.
func authStyle(methods []string) oauth2.AuthStyle {
	// Discovery says client_secret_basic is the default when absent.
	if len(methods) == 0 || slices.Contains(methods, "client_secret_basic") {
		return oauth2.AuthStyleInHeader
	}
	if slices.Contains(methods, "client_secret_post") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// AuthCodeURL implements upstream.Provider.
func (p *Provider) AuthCodeURL(lp upstream.LoginParams) string {
	// Ours come last so they win even if a reserved key slipped through.
	opts := append(slices.Clone(p.authParams),
		gooidc.Nonce(lp.Nonce),
		oauth2.S256ChallengeOption(lp.Verifier),
	)
	if lp.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", lp.LoginHint))
	}
	return p.oauth.AuthCodeURL(lp.State, opts...)
}

// Exchange implements upstream.Provider.
func (p *Provider) Exchange(ctx context.Context, cb upstream.Callback, lp upstream.LoginParams) (upstream.Identity, error) {
	if lp.Nonce == "" || lp.Verifier == "" {
		// An empty nonce would match a token without one.
		return upstream.Identity{}, errors.New("upstream: login params lack nonce or verifier")
	}
	if cb.Code == "" {
		return upstream.Identity{}, errors.New("upstream: callback has no code")
	}
	// Checked before the code goes anywhere: a mix-up attack wants us to
	// send another IdP's code to this IdP's token endpoint.
	switch {
	case cb.Iss != "" && cb.Iss != p.issuer:
		return upstream.Identity{}, verificationError("iss response parameter %q is not the issuer", cb.Iss)
	case cb.Iss == "" && p.issRequired:
		return upstream.Identity{}, verificationError("iss response parameter missing but advertised")
	}

	ctx = gooidc.ClientContext(ctx, p.client)
	tok, err := p.oauth.Exchange(ctx, cb.Code, oauth2.VerifierOption(lp.Verifier))
	if err != nil {
		return upstream.Identity{}, fmt.Errorf("upstream: token exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return upstream.Identity{}, verificationError("token response has no id_token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return upstream.Identity{}, fmt.Errorf("%w: id token: %w", upstream.ErrVerification, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(lp.Nonce)) != 1 {
		return upstream.Identity{}, verificationError("id token nonce mismatch")
	}
	// go-oidc checks exp (and nbf) but not iat; a token issued in the
	// future was minted ahead of time or by a clock far off (OIDC Core
	// §3.1.3.7 lets the relying party refuse it).
	if idt.IssuedAt.After(p.now().Add(maxClockSkew)) {
		return upstream.Identity{}, verificationError("id token issued in the future")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return upstream.Identity{}, fmt.Errorf("%w: at_hash: %w", upstream.ErrVerification, err)
		}
	}
	return p.identify(ctx, tok, idt, true)
}

// identify maps a verified ID token (and userinfo, where the token lacks
// the email) to the identity, runs the Check and records the tokens.
func (p *Provider) identify(ctx context.Context, tok *oauth2.Token, idt *gooidc.IDToken, useUserInfo bool) (upstream.Identity, error) {
	if idt.Subject == "" {
		return upstream.Identity{}, verificationError("id token has no sub")
	}
	claims, err := rawClaims(idt.Claims)
	if err != nil {
		return upstream.Identity{}, fmt.Errorf("%w: id token claims: %w", upstream.ErrVerification, err)
	}
	if _, ok := claims["email"]; !ok && useUserInfo {
		if err := p.addUserInfo(ctx, tok, idt.Subject, claims); err != nil {
			return upstream.Identity{}, err
		}
	}
	// The configured issuer, not the token's: go-oidc lets Google's
	// scheme-less iss through, and the subject must not depend on it.
	id := identity(p.issuer+"#"+idt.Subject, claims, p.groupsClaim)
	if p.check != nil {
		if err := p.check(ctx, &SignIn{Issuer: idt.Issuer, Claims: claims, Token: tok, Identity: &id}); err != nil {
			return upstream.Identity{}, err
		}
	}
	id.Tokens = upstream.Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, SessionID: str(claims["sid"])}
	return id, nil
}

// addUserInfo fills profile claims the ID token left out (some IdPs only put
// them in userinfo when an access token is issued).
func (p *Provider) addUserInfo(ctx context.Context, tok *oauth2.Token, sub string, claims map[string]rawClaim) error {
	if p.op.UserInfoEndpoint() == "" || tok.AccessToken == "" {
		return nil
	}
	ui, err := p.op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("upstream: userinfo: %w", err)
	}
	// OIDC Core 5.3.2: userinfo about someone else must not be used.
	if ui.Subject != sub {
		return verificationError("userinfo sub does not match id token sub")
	}
	extra, err := rawClaims(ui.Claims)
	if err != nil {
		return fmt.Errorf("upstream: userinfo: %w", err)
	}
	// email_verified speaks about the email next to it, so the pair comes
	// from userinfo as a whole.
	delete(claims, "email_verified")
	for _, k := range []string{"email", "email_verified", "name", p.groupsClaim} {
		if _, ok := claims[k]; !ok {
			if v, ok := extra[k]; ok {
				claims[k] = v
			}
		}
	}
	return nil
}

func verificationError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{upstream.ErrVerification}, args...)...)
}
