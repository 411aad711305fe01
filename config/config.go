package config

import "time"

// Config is the whole mcpgate configuration: one YAML file, every key also
// settable from the environment (MCPGATE_ + the key path in upper case,
// joined by '_'), environment winning over the file.
type Config struct {
	// PublicURL is the external base URL of mcpgate (scheme, host, optional
	// port; no path). It is the OAuth issuer.
	PublicURL string `yaml:"public_url"`
	// AllowInsecurePublicURL accepts an http:// public_url on a host that
	// is not loopback (a network where TLS ends elsewhere, or none): OAuth
	// 2.1 wants TLS, so it is refused unless this is set, and serve warns.
	AllowInsecurePublicURL bool `yaml:"allow_insecure_public_url"`
	// Listen is the address the HTTP server binds.
	Listen string `yaml:"listen"`
	// ShutdownGrace bounds a graceful stop (SIGTERM): new connections are
	// refused at once, MCP GET streams are ended, and requests under way
	// get this long to finish before their connections are closed.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// Store names the storage backend as a URL: sqlite:///path or memory:.
	Store    string `yaml:"store"`
	LogLevel string `yaml:"log_level"`
	// EncryptionKey encrypts the signing keys' private halves in the store
	// (AES-256-GCM under a key derived from it; at least 32 bytes). Every
	// replica needs the same value. Empty stores them unencrypted.
	EncryptionKey string `yaml:"encryption_key" secret:"true"`
	// TrustedProxies are the networks (CIDRs) of load balancers in front of
	// mcpgate whose X-Forwarded-For header is believed when telling one
	// client's address from another's (the registration rate limit).
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AllowedHosts are Host header values requests may carry besides
	// public_url's host: "host" (any port) or "host:port". Any other Host is
	// refused (403): a page that rebinds its own name to mcpgate's address
	// (DNS rebinding) sends its own name.
	AllowedHosts []string `yaml:"allowed_hosts"`

	// Upstream is the IdP users sign in with; Upstreams replaces it when
	// users sign in with one of several.
	Upstream Upstream `yaml:"upstream"`
	// Upstreams are several IdPs at once, chosen on a page (or by email
	// domain) at sign-in. In the environment, MCPGATE_UPSTREAMS holds them
	// as a JSON array of objects with the same keys (client_secret_file
	// included); it replaces the file's list whole.
	Upstreams    []NamedUpstream `yaml:"upstreams"`
	Backend      Backend         `yaml:"backend"`
	MCP          MCP             `yaml:"mcp"`
	Tokens       Tokens          `yaml:"tokens"`
	Session      Session         `yaml:"session"`
	Registration Registration    `yaml:"registration"`
	Limits       Limits          `yaml:"limits"`
	Policy       Policy          `yaml:"policy"`
	Audit        Audit           `yaml:"audit"`
	Pages        Pages           `yaml:"pages"`
	Metrics      Metrics         `yaml:"metrics"`
	Tracing      Tracing         `yaml:"tracing"`
	TLS          TLS             `yaml:"tls"`
	DPoP         DPoP            `yaml:"dpop"`

	// Backends are more MCP servers behind this mcpgate, each at a path of
	// its own (mcp.path + "/" + name by default) and its own protected
	// resource, all with one sign-in. In the environment,
	// MCPGATE_BACKENDS holds them as a JSON array of objects with the same
	// keys; it replaces the file's list whole.
	Backends []NamedBackend `yaml:"backends"`

	// Clients are OAuth clients registered in the configuration
	// (pre-registered) rather than through /register. In the environment,
	// MCPGATE_CLIENTS holds them as a JSON array of objects with the same
	// keys, secret_file included, e.g.
	// [{"id":"cli","redirect_uris":["http://127.0.0.1/cb"]}]; it replaces
	// the file's list whole. Secrets are best given as secret_file paths
	// (Docker/Kubernetes secrets) or as secret_hash.
	Clients []Client `yaml:"clients"`
	// ServiceAccounts are machine clients using the client_credentials
	// grant. MCPGATE_SERVICE_ACCOUNTS takes them as a JSON array, like
	// MCPGATE_CLIENTS.
	ServiceAccounts []ServiceAccount `yaml:"service_accounts"`
}

// Upstream is the OpenID Connect identity provider users sign in with.
type Upstream struct {
	// Type is the kind of IdP: oidc (the default), google, entra, okta,
	// keycloak or github.
	Type string `yaml:"type"`
	// Issuer is the IdP's issuer; for google and entra it has a default,
	// for github it is the GitHub (Enterprise Server) URL.
	Issuer       string `yaml:"issuer"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret" secret:"true"`
	// Scopes requested upstream; openid is always included.
	Scopes []string `yaml:"scopes"`
	// RedirectURL defaults to PublicURL + /oauth/callback.
	RedirectURL string `yaml:"redirect_url"`
	// GroupsClaim names the ID token claim holding the user's groups.
	GroupsClaim string `yaml:"groups_claim"`
	// AuthParams are extra authorization request parameters, e.g.
	// access_type: offline for Google.
	AuthParams map[string]string `yaml:"auth_params"`
	// AllowUnverifiedEmail passes on an email the IdP did not mark
	// verified (email_verified false or absent), flagged as unverified.
	// Off by default: such an email is dropped, since whoever can set
	// their own address at the IdP could claim someone else's.
	AllowUnverifiedEmail bool `yaml:"allow_unverified_email"`
	// HostedDomains (google) are the Google Workspace domains whose users
	// may sign in, checked against the ID token's hd claim.
	HostedDomains []string `yaml:"hosted_domains"`
	// Tenant (entra) is the directory ID or domain, or common or
	// organizations for users of several directories.
	Tenant string `yaml:"tenant"`
	// AllowedTenants (entra, with common or organizations) are the
	// directory IDs whose users may sign in.
	AllowedTenants []string `yaml:"allowed_tenants"`
	// CheckInterval is the least time between two checks with the IdP
	// that a user may still sign in, made on MCP refreshes; 0 checks on
	// every refresh.
	CheckInterval time.Duration `yaml:"check_interval"`
	// MaxSessionAge, when set, makes the user sign in at the IdP again once
	// their sign-in is this old: MCP refreshes past it are refused.
	MaxSessionAge time.Duration `yaml:"max_session_age"`
	// IDJAGClients are the configured clients (ids in clients) for which
	// this IdP may issue Identity Assertion JWT Authorization Grants
	// (enterprise-managed authorization, SEP-990): such a client gets an
	// mcpgate token at /token with the jwt-bearer grant and the IdP's
	// ID-JAG, with no browser sign-in and no consent at mcpgate.
	IDJAGClients []string `yaml:"id_jag_clients"`
}

// Backend is the MCP server mcpgate forwards to.
type Backend struct {
	// URL is the backend's MCP endpoint; every request to the MCP path
	// goes to exactly this URL.
	URL string `yaml:"url"`
	// Timeout bounds the wait for the backend's response headers; streams
	// that have started are never cut.
	Timeout time.Duration `yaml:"timeout"`
	// IdentityHeaders name the headers that tell the backend who calls;
	// an empty name leaves that header out.
	IdentityHeaders IdentityHeaders `yaml:"identity_headers"`
	// Assertion, when its header is set, sends a short-lived JWT signed by
	// mcpgate with the backend as audience, so the backend can verify the
	// caller instead of trusting headers.
	Assertion Assertion `yaml:"assertion"`
	// StripHeaders are request headers never passed to the backend, on top
	// of the identity headers and the well-known identity and proxy header
	// families mcpgate always drops: a name ("X-Tenant") or a family
	// ("X-Tenant-*"). Names compare ignoring case, with '_' read as '-'.
	StripHeaders []string `yaml:"strip_headers"`
	// UpstreamTokenHeader, when set, sends the default backend (the one
	// at mcp.path; each of backends has its own) the access token the
	// user's IdP issued at sign-in, renewed as it expires, in this header
	// ("Bearer <token>" in Authorization, the bare token in any other),
	// for backends that call the IdP's APIs as the user. Off by default:
	// the IdP's token is worth more than mcpgate's.
	UpstreamTokenHeader string `yaml:"upstream_token_header"`
}

// IdentityHeaders name the identity headers sent to the backend.
type IdentityHeaders struct {
	User  string `yaml:"user"`
	Email string `yaml:"email"`
	// EmailVerified says "true" or "false" beside every email sent.
	EmailVerified string `yaml:"email_verified"`
	Name          string `yaml:"name"`
	Groups        string `yaml:"groups"`
	ClientID      string `yaml:"client_id"`
}

// Assertion configures the signed identity JWT sent to the backend.
type Assertion struct {
	// Header carries the JWT; empty disables the assertion.
	Header string `yaml:"header"`
	// Audience is the JWT's aud; defaults to the backend URL.
	Audience string `yaml:"audience"`
	// TTL is the JWT's lifetime (capped by the access token's).
	TTL time.Duration `yaml:"ttl"`
}

// MCP describes the protected MCP resource mcpgate serves.
type MCP struct {
	// Path of the MCP endpoint on PublicURL; the resource identifier is
	// PublicURL + Path.
	Path string `yaml:"path"`
	// Scopes the resource knows; a request with no scope gets all of them.
	Scopes []string `yaml:"scopes"`
	// StrictScopes refuses a scope mcpgate does not offer, at registration
	// (invalid_client_metadata) and authorization (invalid_scope). Off by
	// default: such scopes are dropped and the grant says what was given,
	// as RFC 6749 §3.3 and RFC 7591 §2 allow (Claude.ai asks for
	// "claudeai", other clients for "openid profile").
	StrictScopes bool `yaml:"strict_scopes"`
	// AllowedOrigins are browser origins allowed to call the MCP endpoint
	// besides mcpgate's own (e.g. http://localhost:6274 for MCP Inspector).
	// Requests without an Origin header (native clients) are unaffected.
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// Tokens sets lifetimes of what mcpgate issues.
type Tokens struct {
	AccessTokenTTL  time.Duration `yaml:"access_token_ttl"`
	RefreshTokenTTL time.Duration `yaml:"refresh_token_ttl"`
	CodeTTL         time.Duration `yaml:"code_ttl"`
	// RefreshGrace is how long a rotated refresh token may still be
	// presented (concurrent retries) before its reuse revokes the family.
	RefreshGrace time.Duration `yaml:"refresh_grace"`
	// KeyRotation is how often a new signing key is made; 0 disables
	// automatic rotation.
	KeyRotation time.Duration `yaml:"key_rotation"`
	// KeyReloadInterval is how often each replica reloads the signing keys
	// from the store; a rotated-in key is published for twice this long
	// before it signs, so every replica knows it first.
	KeyReloadInterval time.Duration `yaml:"key_reload_interval"`
	// RevocationPollInterval is how often each replica reads the grants
	// revoked on other replicas: a revoked grant's access tokens are
	// refused at once by the replica that revoked it, and by every other
	// within this interval.
	RevocationPollInterval time.Duration `yaml:"revocation_poll_interval"`
}

// Session configures the browser session with mcpgate.
// DPoP configures sender-constrained tokens (RFC 9449). A client that
// sends a DPoP proof to /token always gets tokens bound to its key; these
// settings only make mcpgate stricter.
type DPoP struct {
	// Required refuses, at the MCP endpoints, access tokens that are not
	// bound to a key (bearer tokens).
	Required bool `yaml:"required"`
	// Nonce makes every proof carry a server nonce (RFC 9449 §8–9),
	// which limits how long ahead of time a stolen key could make proofs.
	Nonce bool `yaml:"nonce"`
}

type Session struct {
	// Secret signs the session cookies (at least 32 bytes). When empty a
	// random secret is generated once and kept in the store.
	Secret string `yaml:"secret" secret:"true"`
	// TTL is how long a browser stays signed in with mcpgate.
	TTL time.Duration `yaml:"ttl"`
	// ConsentTTL is how long an approval of a client is remembered; 0
	// remembers it until revoked.
	ConsentTTL time.Duration `yaml:"consent_ttl"`
	// ReuseSignIn lets a browser signed in with mcpgate authorize more
	// clients and backends without another upstream login, until TTL ends
	// (one sign-in for every backend). Off, every authorization goes to
	// the IdP, which then decides each time (a user disabled there is
	// refused at once rather than when the session ends).
	ReuseSignIn bool `yaml:"reuse_sign_in"`
}

// Registration configures how clients may register.
type Registration struct {
	// DynamicEnabled turns RFC 7591 dynamic client registration on.
	DynamicEnabled bool `yaml:"dynamic_enabled"`
	// InitialAccessToken, when set, must be presented as a Bearer token to
	// /register (RFC 7591 §3), restricting dynamic registration to those
	// given the token.
	InitialAccessToken string `yaml:"initial_access_token" secret:"true"`
	// RedirectURIPatterns, when set, restrict the redirect URIs of every
	// client the operator did not configure, registered dynamically or
	// described by a metadata document: every one must match at least one
	// pattern (see
	// Registration.RedirectURIAllowed for the syntax), e.g.
	// "http://127.0.0.1:*/callback" or "https://*.example.com/*".
	RedirectURIPatterns []string `yaml:"redirect_uri_patterns"`
	// RateLimit is the number of registrations accepted per source address
	// per hour; 0 means unlimited.
	RateLimit int `yaml:"rate_limit"`
	// UnusedClientTTL is how long a dynamically registered client that has
	// never obtained a token is kept before it is deleted; 0 keeps it.
	UnusedClientTTL time.Duration `yaml:"unused_client_ttl"`
	// CIMD configures clients identified by a Client ID Metadata Document
	// (an https URL as client_id).
	CIMD CIMD `yaml:"cimd"`
}

// Audit is the audit log: one JSON line per MCP request and per sign-in
// decision.
type Audit struct {
	// Path is "stdout", or a file appended to and reopened on SIGHUP (so
	// that logrotate can move it); empty turns the audit log off.
	Path string `yaml:"path"`
}
