// Package preset builds the upstream.Provider for the kind of IdP the
// configuration names: generic OpenID Connect, or one of the IdPs whose
// quirks generic code gets wrong (Google, Entra ID, Okta, Keycloak), or
// GitHub, which is not OpenID Connect at all.
package preset

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/github"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

// Settings are the upstream section of the configuration.
type Settings struct {
	// Type is one of upstream.Types; "" is upstream.TypeOIDC.
	Type         string
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	Scopes       []string
	GroupsClaim  string
	AuthParams   map[string]string
	// HostedDomains (Google) are the Workspace domains whose users may
	// sign in, checked against the ID token's hd claim.
	HostedDomains []string
	// Tenant (Entra ID) is the directory, or common / organizations for a
	// multi-tenant app, which then needs AllowedTenants.
	Tenant         string
	AllowedTenants []string
	HTTPClient     *http.Client
	// GraphURL is Microsoft Graph's root, https://graph.microsoft.com by
	// default (tests point it elsewhere).
	GraphURL string
}

// New returns the Provider for s, discovering the IdP where it has
// discovery.
func New(ctx context.Context, s Settings) (upstream.Provider, error) {
	switch s.Type {
	case "", upstream.TypeOIDC, upstream.TypeOkta:
		// Okta's org and custom authorization servers are plain OpenID
		// Connect; what differs is the setup at Okta (README).
		return oidc.New(ctx, s.oidcConfig())
	case upstream.TypeGoogle:
		return google(ctx, s)
	case upstream.TypeEntra:
		return entra(ctx, s)
	case upstream.TypeKeycloak:
		return keycloak(ctx, s)
	case upstream.TypeGitHub:
		return github.New(github.Config{BaseURL: s.Issuer, ClientID: s.ClientID, ClientSecret: s.ClientSecret,
			RedirectURL: s.RedirectURL, Scopes: githubScopes(s.Scopes), HTTPClient: s.HTTPClient})
	}
	return nil, fmt.Errorf("upstream: unknown type %q", s.Type)
}

func (s Settings) oidcConfig() oidc.Config {
	return oidc.Config{Issuer: s.Issuer, ClientID: s.ClientID, ClientSecret: s.ClientSecret, RedirectURL: s.RedirectURL,
		Scopes: s.Scopes, GroupsClaim: s.GroupsClaim, AuthParams: s.AuthParams, HTTPClient: s.HTTPClient}
}

// githubScopes are the scopes mcpgate needs plus the configured ones,
// without the OpenID scopes a shared configuration may list (GitHub knows
// none of them).
func githubScopes(scopes []string) []string {
	out := slices.Clone(github.Scopes)
	for _, s := range scopes {
		switch s {
		case "openid", "email", "profile", "offline_access":
		default:
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
