package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidc"
	"github.com/mcpgate/mcpgate/upstream/preset"
)

// maxCodeTTL is the longest authorization code life RFC 6749 §4.1.2
// recommends.
const maxCodeTTL = 10 * time.Minute

// minSecretLen is the shortest session secret accepted: 32 bytes is the
// key size of the HMAC-SHA256 signing the cookies.
const minSecretLen = 32

// Validate checks the configuration and returns every problem found, as
// Problems keyed by YAML key path, or nil. A configuration that passes is
// safe to use with the derived-value methods (Issuer, ResourceURL, ...).
//
// Validate reads the files registration.cimd.ca_file and each
// service_accounts[].jwks_file name (Load does not), so that a missing or
// malformed one stops startup rather than the first fetch or sign-in.
func (c *Config) Validate() error {
	var p Problems
	checkURL(&p, "public_url", c.PublicURL, urlRules{
		required: true, secure: !c.AllowInsecurePublicURL, origin: true,
		noQuery: true, noFragment: true, noUserinfo: true,
	})
	checkListen(&p, c.Listen)
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			p.add("metrics.listen", "want host:port (e.g. 127.0.0.1:9090, or :9090 for every interface), got %q", c.Metrics.Listen)
		} else if c.Metrics.Listen == c.Listen {
			p.add("metrics.listen", "must differ from listen: the metrics stay off the public listener")
		}
	}
	positive(&p, "shutdown_grace", c.ShutdownGrace)
	if c.Store == "" {
		p.add("store", "required")
	} else if _, _, err := parseStoreURL(c.Store); err != nil {
		p.add("store", "%v", err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p.add("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	c.validateUpstreams(&p)
	// backend.url is the default backend at mcp.path; with backends
	// listed it may be left out.
	checkURL(&p, "backend.url", c.Backend.URL, urlRules{required: len(c.Backends) == 0})
	c.Backend.validate(&p)
	c.Backend.checkUpstreamTokenHeader(&p, "backend.upstream_token_header", c.Backend.UpstreamTokenHeader)
	for i, o := range c.MCP.AllowedOrigins {
		checkOrigin(&p, fmt.Sprintf("mcp.allowed_origins[%d]", i), o)
	}
	checkMCPPath(&p, "mcp.path", c.MCP.Path)
	if len(c.MCP.Scopes) == 0 {
		p.add("mcp.scopes", "at least one scope is required")
	}
	checkScopes(&p, "mcp.scopes", c.MCP.Scopes)
	for i, s := range c.MCP.Scopes {
		if slices.Contains(c.MCP.Scopes[:i], s) {
			p.add("mcp.scopes", "entry %d (%q) is a duplicate", i+1, s)
		}
	}
	c.Tokens.validate(&p)
	c.Session.validate(&p)
	for i, cidr := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			p.add(fmt.Sprintf("trusted_proxies[%d]", i), "%q is not a CIDR such as 10.0.0.0/8", cidr)
		}
	}
	for i, h := range c.AllowedHosts {
		if !validHostPort(h) {
			p.add(fmt.Sprintf("allowed_hosts[%d]", i), "%q is not a host or host:port such as mcp.internal:8080", h)
		}
	}
	if c.EncryptionKey != "" && len(c.EncryptionKey) < minSecretLen {
		p.add("encryption_key", "must be at least %d bytes, got %d", minSecretLen, len(c.EncryptionKey))
	}
	c.Registration.validate(&p)
	c.Limits.validate(&p)
	c.validateClients(&p)
	c.validatePolicy(&p)
	c.validateBackends(&p)
	c.Pages.validate(&p)
	c.TLS.validate(&p)
	c.Tracing.validate(&p)
	if c.Audit.Path != "" && c.Audit.Path != "stdout" && !printable(c.Audit.Path) {
		p.add("audit.path", "want stdout or a file path")
	}
	return p.err()
}

// upstreamReservedParams are authorization request parameters mcpgate sets
// itself or never sends; letting auth_params set them would break or weaken
// the login (state, nonce and PKCE protect it, response_mode decides how the
// callback arrives, Entra refuses resource).
func upstreamReservedParams() []string { return oidc.ReservedParams }

func (u *Upstream) validate(p *Problems, key string) {
	if u.Type != "" && !slices.Contains(upstream.Types, u.Type) {
		p.add(key+".type", "%q is not one of %s", u.Type, strings.Join(upstream.Types, ", "))
	}
	// OpenID Connect Discovery forbids a query or fragment in the issuer;
	// a path is common (e.g. Entra ID's /{tenant}/v2.0).
	checkURL(p, key+".issuer", u.Issuer, urlRules{
		required: u.issuerRequired(), secure: true, noQuery: true, noFragment: true, noUserinfo: true,
	})
	if u.ClientID == "" {
		p.add(key+".client_id", "required")
	}
	// RFC 6749 §3.1.2: a redirect URI must not have a fragment.
	checkURL(p, key+".redirect_url", u.RedirectURL, urlRules{noFragment: true})
	checkScopes(p, key+".scopes", u.Scopes)
	for _, k := range slices.Sorted(maps.Keys(u.AuthParams)) {
		pkey := key + ".auth_params." + k
		switch {
		case k == "":
			p.add(key+".auth_params", "parameter names must not be empty")
		case slices.Contains(upstreamReservedParams(), k):
			p.add(pkey, "is set by mcpgate itself and cannot be overridden")
		}
	}
	if u.CheckInterval < 0 {
		p.add(key+".check_interval", "must not be negative")
	}
	if u.MaxSessionAge < 0 {
		p.add(key+".max_session_age", "must not be negative (0: no limit)")
	}
	u.validatePreset(p, key)
}

func (u *Upstream) issuerRequired() bool {
	switch u.Type {
	case upstream.TypeGoogle, upstream.TypeEntra, upstream.TypeGitHub:
		return false
	}
	return true
}

// validatePreset checks the settings of one kind of IdP, and that no
// other kind's settings are given where they would do nothing.
func (u *Upstream) validatePreset(p *Problems, key string) {
	if u.Type != upstream.TypeGoogle && len(u.HostedDomains) > 0 {
		p.add(key+".hosted_domains", "applies to upstream.type google only")
	}
	if u.Type != upstream.TypeEntra {
		if u.Tenant != "" {
			p.add(key+".tenant", "applies to upstream.type entra only")
		}
		if len(u.AllowedTenants) > 0 {
			p.add(key+".allowed_tenants", "applies to upstream.type entra with tenant common or organizations only")
		}
	}
	switch u.Type {
	case upstream.TypeEntra:
		if u.Tenant == "" {
			p.add(key+".tenant", "required for entra: the directory ID, or common or organizations")
		}
		multi := preset.IsMultiTenant(u.Tenant)
		if multi && len(u.AllowedTenants) == 0 {
			p.add(key+".allowed_tenants", "required with tenant %s: the directory IDs whose users may sign in (otherwise anyone with a Microsoft work account could)", u.Tenant)
		}
		if !multi && len(u.AllowedTenants) > 0 {
			p.add(key+".allowed_tenants", "applies with tenant common or organizations only")
		}
		if u.Issuer != "" && !strings.Contains(u.Issuer, "/"+u.Tenant+"/") {
			p.add(key+".issuer", "must name the tenant %q (…/%s/v2.0); leave it out for Microsoft's public cloud", u.Tenant, u.Tenant)
		}
		if strings.Contains(u.AuthParams["prompt"], "consent") {
			// Entra turns it into a request for an administrator's consent.
			p.add(key+".auth_params.prompt", "consent must not be sent to Entra ID")
		}
	case upstream.TypeKeycloak:
		if u.Issuer != "" && !preset.IsKeycloakIssuer(u.Issuer) {
			p.add(key+".issuer", "must be a realm's issuer, https://<host>/realms/<realm>")
		}
	}
}

func (t *Tokens) validate(p *Problems) {
	positive(p, "tokens.key_reload_interval", t.KeyReloadInterval)
	positive(p, "tokens.revocation_poll_interval", t.RevocationPollInterval)
	positive(p, "tokens.access_token_ttl", t.AccessTokenTTL)
	positive(p, "tokens.refresh_token_ttl", t.RefreshTokenTTL)
	positive(p, "tokens.code_ttl", t.CodeTTL)
	if t.CodeTTL > maxCodeTTL {
		p.add("tokens.code_ttl", "must be at most %s (RFC 6749 §4.1.2), got %s", maxCodeTTL, t.CodeTTL)
	}
	positive(p, "tokens.refresh_grace", t.RefreshGrace)
	if t.RefreshTokenTTL > 0 && t.RefreshGrace >= t.RefreshTokenTTL {
		p.add("tokens.refresh_grace", "must be shorter than tokens.refresh_token_ttl (%s), got %s",
			t.RefreshTokenTTL, t.RefreshGrace)
	}
	if t.KeyRotation < 0 {
		p.add("tokens.key_rotation", "must not be negative (0 disables rotation), got %s", t.KeyRotation)
	}
}

func (s *Session) validate(p *Problems) {
	positive(p, "session.ttl", s.TTL)
	if s.ConsentTTL < 0 {
		p.add("session.consent_ttl", "must not be negative (0 remembers consent until revoked), got %s", s.ConsentTTL)
	}
	// Only the length is reported, never the secret.
	if s.Secret != "" && len(s.Secret) < minSecretLen {
		p.add("session.secret", "must be at least %d bytes, got %d", minSecretLen, len(s.Secret))
	}
}

func positive(p *Problems, key string, d time.Duration) {
	if d <= 0 {
		p.add(key, "must be positive, got %s", d)
	}
}

// urlRules are the constraints checkURL applies beyond "absolute http(s)".
type urlRules struct {
	required bool
	// secure allows http only for loopback hosts, where traffic never
	// leaves the machine; OAuth 2.1 requires TLS everywhere else.
	secure     bool
	origin     bool // no path but "/": mcpgate's endpoints hang off the root
	noQuery    bool
	noFragment bool
	noUserinfo bool
}

func checkURL(p *Problems, key, raw string, r urlRules) {
	if raw == "" {
		if r.required {
			p.add(key, "required")
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		p.add(key, "not a valid URL: %v", err)
		return
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		p.add(key, "want an absolute http or https URL such as https://host.example.com")
		return
	}
	if r.secure && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		p.add(key, "must use https (http is allowed only for localhost and loopback addresses)")
	}
	if r.origin && u.EscapedPath() != "" && u.EscapedPath() != "/" {
		p.add(key, "must not have a path, got %q", u.EscapedPath())
	}
	if r.noQuery && (u.RawQuery != "" || u.ForceQuery) {
		p.add(key, "must not have a query")
	}
	if r.noFragment && strings.Contains(raw, "#") {
		p.add(key, "must not have a fragment")
	}
	if r.noUserinfo && u.User != nil {
		p.add(key, "must not contain user credentials")
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// validHostPort: a host name or IP literal ([::1] for IPv6), with an
// optional port, as a Host header carries it.
func validHostPort(s string) bool {
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return false
		}
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Zone() == "" && (a.Is4() || strings.Contains(s, "["))
	}
	return !strings.HasPrefix(host, "*.") && validDomainPattern(host)
}

func checkListen(p *Problems, listen string) {
	const key = "listen"
	if listen == "" {
		p.add(key, "required")
		return
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		p.add(key, "want host:port or :port, got %q", listen)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		p.add(key, "port must be a number from 0 to 65535, got %q", port)
	}
}

// ownPaths are mcpgate's own endpoints, which the MCP endpoint must not
// shadow or sit under.
func ownPaths() []string {
	return []string{
		"/authorize", "/token", "/register", "/revoke", "/jwks", "/consent", "/account", "/assets", "/healthz", "/readyz",
		CallbackPath, oauth.BackChannelLogoutPath, "/.well-known",
	}
}

func checkMCPPath(p *Problems, key, mcpPath string) {
	switch {
	case mcpPath == "":
		p.add(key, "required")
		return
	case mcpPath[0] != '/':
		p.add(key, "must start with /")
		return
	case mcpPath == "/":
		p.add(key, "must not be / alone: mcpgate's own endpoints live under it")
		return
	case strings.HasSuffix(mcpPath, "/"):
		p.add(key, "must not end with /")
		return
	}
	if strings.ContainsFunc(mcpPath, func(r rune) bool { return !isPathChar(r) }) {
		// The path is part of the resource identifier clients compare as
		// a string; escapes or odd characters would make that fragile.
		p.add(key, "may contain only letters, digits and -._~!$&'()*+,;=:@/")
	} else if path.Clean(mcpPath) != mcpPath {
		p.add(key, "must be a clean path (no empty, . or .. segments)")
	}
	for _, own := range ownPaths() {
		if mcpPath == own || strings.HasPrefix(mcpPath, own+"/") || strings.HasPrefix(own, mcpPath+"/") {
			p.add(key, "clashes with mcpgate's own endpoint %s", own)
			return // one clash says it; a path above several would repeat it
		}
	}
}

// isPathChar reports whether r is an RFC 3986 pchar (without
// percent-encoding) or '/'.
func isPathChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("-._~!$&'()*+,;=:@/", r)
}

func checkScopes(p *Problems, key string, scopes []string) {
	for i, s := range scopes {
		if !oauth.ValidScopeToken(s) {
			p.add(key, "entry %d (%q) is not a valid scope: want printable ASCII without spaces, \" or \\ (RFC 6749 §3.3)", i+1, s)
		}
	}
}

// checkRedirectURL: mcpgate serves the upstream callback itself, so the
// redirect URL must point at mcpgate's own origin, on a path of its own.
func (c *Config) checkRedirectURL(p *Problems) {
	if c.Upstream.RedirectURL == "" || c.PublicURL == "" {
		return
	}
	r, err1 := url.Parse(c.Upstream.RedirectURL)
	pub, err2 := url.Parse(c.PublicURL)
	if err1 != nil || err2 != nil {
		return // reported by checkURL
	}
	if !r.IsAbs() {
		return // reported by checkURL
	}
	if !strings.EqualFold(r.Scheme, pub.Scheme) || !strings.EqualFold(r.Host, pub.Host) {
		p.add("upstream.redirect_url", "must be on public_url's origin (%s://%s), where mcpgate receives the callback", pub.Scheme, pub.Host)
		return
	}
	if r.Path == "" || r.Path == "/" || r.Path == c.MCP.Path || strings.HasPrefix(r.Path, "/.well-known/") ||
		(r.Path != CallbackPath && slices.Contains(ownPaths(), r.Path)) {
		p.add("upstream.redirect_url", "path %q is taken; use a path of its own such as %s", r.Path, CallbackPath)
	}
}
