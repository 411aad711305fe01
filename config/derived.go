package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/github"
	"github.com/mcpgate/mcpgate/upstream/preset"
)

// CallbackPath is where mcpgate receives the upstream IdP's redirect when
// upstream.redirect_url is not set.
const CallbackPath = "/oauth/callback"

// Store URL schemes StoreURL returns.
const (
	StoreSQLite   = "sqlite"
	StoreMemory   = "memory"
	StorePostgres = "postgres"
	StoreRedis    = "redis"
)

// The values below are meaningful only for a configuration that passed
// Validate; they do not report errors of their own (except StoreURL, which
// main needs to open the store).

// Issuer is mcpgate's OAuth issuer identifier: PublicURL with scheme and
// host lower-cased and no trailing slash. Clients compare issuers as exact
// strings (RFC 8414 §3.3), so every use must come from here.
func (c *Config) Issuer() string {
	u, err := url.Parse(c.PublicURL)
	if err != nil || u.Host == "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// ResourceURL is the RFC 8707 / RFC 9728 resource identifier of the MCP
// endpoint, the audience of the access tokens mcpgate issues.
func (c *Config) ResourceURL() string {
	return c.Issuer() + c.MCP.Path
}

// CallbackURL is the redirect URI registered with the upstream IdP.
func (c *Config) CallbackURL() string {
	if c.Upstream.RedirectURL != "" {
		return c.Upstream.RedirectURL
	}
	return c.Issuer() + CallbackPath
}

// UpstreamScopes is the scope list to request upstream: "openid" first
// (without it the IdP returns no ID token), then the configured scopes in
// order, without duplicates or empty entries.
func (c *Config) UpstreamScopes() []string { return upstreamScopes(c.Upstream.Scopes) }

func upstreamScopes(scopes []string) []string {
	out := []string{"openid"}
	for _, s := range scopes {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// StoreURL splits the store URL into its scheme (StoreSQLite or
// StoreMemory) and location: sqlite:///abs/path gives "/abs/path",
// sqlite://rel.db gives "rel.db" (relative to the working directory),
// memory: gives "". The location is taken verbatim, not percent-decoded.
func (c *Config) StoreURL() (scheme, location string, err error) {
	scheme, location, err = parseStoreURL(c.Store)
	if err != nil {
		return "", "", fmt.Errorf("config: store: %w", err)
	}
	return scheme, location, nil
}

// parseStoreURL works on the string rather than with url.Parse, which would
// take the first segment of a relative sqlite path for a host name. Its
// errors never repeat the URL: later backends' URLs carry passwords.
func parseStoreURL(raw string) (scheme, location string, err error) {
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || !validScheme(scheme) {
		return "", "", errors.New("want a URL such as memory: or sqlite://mcpgate.db")
	}
	scheme = strings.ToLower(scheme)
	switch scheme {
	case StoreSQLite:
		location, ok := strings.CutPrefix(rest, "//")
		if !ok || location == "" {
			return "", "", errors.New("want sqlite:///absolute/path or sqlite://relative/path")
		}
		return scheme, location, nil
	case StoreMemory:
		if rest != "" && rest != "//" {
			return "", "", errors.New("memory: takes no location")
		}
		return scheme, "", nil
	case "postgres", "postgresql":
		// The driver takes the whole URL (user, password, host, options).
		if !strings.HasPrefix(rest, "//") || len(rest) == 2 {
			return "", "", errors.New("want postgres://user:password@host:5432/database")
		}
		return StorePostgres, raw, nil
	case "redis", "rediss":
		if !strings.HasPrefix(rest, "//") || len(rest) == 2 {
			return "", "", errors.New("want redis://host:6379/0 or rediss:// for TLS")
		}
		return StoreRedis, raw, nil
	}
	return "", "", fmt.Errorf("unknown scheme %q (want sqlite, postgres, redis or memory)", scheme)
}

// validScheme reports whether s is an RFC 3986 scheme. Anything else before
// the first ':' is more likely a mangled credential than a scheme, so it is
// not echoed.
func validScheme(s string) bool {
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// IssuerURL is the upstream issuer in force: the configured one, or the
// default of the kind of IdP.
func (u *Upstream) IssuerURL() string {
	switch {
	case u.Issuer != "":
		return u.Issuer
	case u.Type == upstream.TypeGoogle:
		return preset.GoogleIssuer
	case u.Type == upstream.TypeEntra:
		return preset.EntraIssuer(u.Tenant)
	case u.Type == upstream.TypeGitHub:
		return github.DefaultBaseURL
	}
	return ""
}

// UpstreamSettings are what the upstream provider is built from.
func (c *Config) UpstreamSettings() preset.Settings { return c.settings(c.Upstream, c.CallbackURL()) }
