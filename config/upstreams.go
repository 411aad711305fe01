package config

import (
	"fmt"
	"strings"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/preset"
)

// NamedUpstream is one of several identity providers users may sign in
// with: every key of the upstream section, plus a name and how users find
// it. Each has its own redirect URI, public_url + /oauth/callback/<name>,
// so that an answer can only come back to the IdP it was sent to.
type NamedUpstream struct {
	// Name identifies the IdP in the callback path, in tokens (the idp
	// claim), in policy rules (idps) and in the audit log.
	Name string `yaml:"name"`
	// DisplayName is the button label on the sign-in chooser; default the
	// name.
	DisplayName string `yaml:"display_name"`
	// EmailDomains route users to this IdP by the email address they type
	// on the chooser (which is then passed on as login_hint).
	EmailDomains []string `yaml:"email_domains"`
	Upstream     `yaml:",inline"`
}

// IdP is one upstream identity provider in force, as the rest of mcpgate
// builds it: the single upstream section (named "") or one of upstreams.
type IdP struct {
	Name         string
	DisplayName  string
	EmailDomains []string // lower case
	Upstream     Upstream
	// CallbackPath is where mcpgate receives this IdP's redirects.
	CallbackPath string
	// Settings build its provider.
	Settings preset.Settings
}

// IdPs are the identity providers in force, in configuration order.
func (c *Config) IdPs() []IdP {
	if len(c.Upstreams) == 0 {
		return []IdP{{Upstream: c.Upstream, CallbackPath: pathOf(c.CallbackURL()), Settings: c.settings(c.Upstream, c.CallbackURL())}}
	}
	out := make([]IdP, 0, len(c.Upstreams))
	for _, n := range c.Upstreams {
		u := n.withDefaults()
		path := CallbackPath + "/" + n.Name
		display := n.DisplayName
		if display == "" {
			display = n.Name
		}
		out = append(out, IdP{Name: n.Name, DisplayName: display, EmailDomains: lowerAll(n.EmailDomains), Upstream: u,
			CallbackPath: path, Settings: c.settings(u, c.Issuer()+path)})
	}
	return out
}

// withDefaults fills what the upstream section's defaults fill.
func (n *NamedUpstream) withDefaults() Upstream {
	u := n.Upstream
	d := Default().Upstream
	if u.Scopes == nil {
		u.Scopes = d.Scopes
	}
	if u.GroupsClaim == "" {
		u.GroupsClaim = d.GroupsClaim
	}
	return u
}

func (c *Config) settings(u Upstream, redirectURL string) preset.Settings {
	return preset.Settings{Type: u.Type, Issuer: u.IssuerURL(), ClientID: u.ClientID, ClientSecret: u.ClientSecret,
		RedirectURL: redirectURL, Scopes: upstreamScopes(u.Scopes), GroupsClaim: u.GroupsClaim, AuthParams: u.AuthParams,
		HostedDomains: u.HostedDomains, Tenant: u.Tenant, AllowedTenants: u.AllowedTenants}
}

func pathOf(rawURL string) string {
	_, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return CallbackPath
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		path, _, _ := strings.Cut(rest[i:], "?")
		return path
	}
	return CallbackPath
}

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(s)
	}
	return out
}

// validateUpstreams checks the upstream section, or each of upstreams and
// that names, issuers and email domains say which IdP is meant.
func (c *Config) validateUpstreams(p *Problems) {
	c.validateIDJAGClients(p)
	if len(c.Upstreams) == 0 {
		c.Upstream.validate(p, "upstream")
		c.checkRedirectURL(p)
		return
	}
	if u := c.Upstream; u.Type != "" || u.Issuer != "" || u.ClientID != "" || u.ClientSecret != "" {
		p.add("upstream", "set either upstream or upstreams, not both")
	}
	names := map[string]string{}
	issuers := map[string]string{}
	domains := map[string]string{}
	for i, n := range c.Upstreams {
		key := fmt.Sprintf("upstreams[%d]", i)
		checkItemName(p, key, n.Name, names)
		if !printable(n.DisplayName) || len(n.DisplayName) > 100 {
			p.add(key+".display_name", "want at most 100 printable characters")
		}
		if n.RedirectURL != "" {
			p.add(key+".redirect_url", "is public_url + %s/<name> for each of upstreams; register that at the IdP", CallbackPath)
		}
		n.Upstream.validate(p, key)
		// The subject of a user is the issuer and the IdP's sub: two
		// entries for one issuer would be two names for the same users.
		if iss := n.IssuerURL(); iss != "" {
			if prev, dup := issuers[iss]; dup {
				p.add(key+".issuer", "%q is already the issuer of %s", iss, prev)
			} else {
				issuers[iss] = key
			}
		}
		for j, d := range lowerAll(n.EmailDomains) {
			dkey := fmt.Sprintf("%s.email_domains[%d]", key, j)
			switch prev, dup := domains[d]; {
			case d == "" || strings.ContainsAny(d, "@ /") || !printable(d):
				p.add(dkey, "%q is not a domain name", d)
			case dup:
				p.add(dkey, "%q already routes to %s", d, prev)
			default:
				domains[d] = key
			}
		}
	}
}

// validateIDJAGClients: an IdP speaks for clients the operator configured
// (an ID-JAG names its client_id, which a dynamic registration's random
// id could never be known as in advance), and only an OpenID Connect IdP
// issues ID-JAGs.
func (c *Config) validateIDJAGClients(p *Problems) {
	configured := map[string]bool{}
	for _, cl := range c.Clients {
		configured[cl.ID] = true
	}
	check := func(key string, u Upstream) {
		if len(u.IDJAGClients) == 0 {
			return
		}
		if u.Type == upstream.TypeGitHub {
			p.add(key+".id_jag_clients", "GitHub issues no ID-JAGs")
		}
		for i, id := range u.IDJAGClients {
			if !configured[id] {
				p.add(fmt.Sprintf("%s.id_jag_clients[%d]", key, i), "%q is not one of clients", id)
			}
		}
	}
	if len(c.Upstreams) == 0 {
		check("upstream", c.Upstream)
	}
	for i, n := range c.Upstreams {
		check(fmt.Sprintf("upstreams[%d]", i), n.Upstream)
	}
}
