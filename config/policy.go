package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy decides who may sign in and what each person may use. It is the
// one part of the configuration that mcpgate serve re-reads on SIGHUP.
type Policy struct {
	SignIn SignInPolicy `yaml:"signin"`
	// Rules, once there is one, decide every tools/call, resources/read,
	// resources/subscribe and prompts/get: a deny from any rule that
	// applies wins, else an allow from any rule that applies, else the
	// call is refused. Without rules everything is allowed. In the
	// environment, MCPGATE_POLICY_RULES holds them as a JSON array of
	// objects with the same keys; it replaces the file's list whole.
	Rules []Rule `yaml:"rules"`
	// PersonalTokens says who may make personal access tokens on the
	// account page, and for how long.
	PersonalTokens PersonalTokensPolicy `yaml:"personal_tokens"`
	// AdminGroups name the groups whose members see every user's
	// connected clients and personal access tokens at /account/admin,
	// and may revoke any of them.
	AdminGroups []string `yaml:"admin_groups"`
}

// PersonalTokensPolicy governs personal access tokens, for clients that
// cannot do OAuth.
type PersonalTokensPolicy struct {
	// Enabled lets users make them (default true); turned off, those made
	// before stop working too.
	Enabled bool `yaml:"enabled"`
	// MaxLifetime caps their lifetime (default 90 days: 2160h); the
	// account page offers 7, 30 and 90 days up to it.
	MaxLifetime time.Duration `yaml:"max_lifetime"`
	// AllowNoExpiry offers tokens that live until revoked.
	AllowNoExpiry bool `yaml:"allow_no_expiry"`
	// AllowedGroups, when set, limits them to members of one of these.
	AllowedGroups []string `yaml:"allowed_groups"`
}

// SignInPolicy says who may sign in at all. Empty lists do not restrict.
type SignInPolicy struct {
	// AllowedEmailDomains and AllowedEmails admit a user whose email is in
	// one of the domains or on the list (compared ignoring case); when
	// either is set, a user matching neither is refused.
	AllowedEmailDomains []string `yaml:"allowed_email_domains"`
	AllowedEmails       []string `yaml:"allowed_emails"`
	// RequiredGroups admits only members of at least one of the groups.
	RequiredGroups []string `yaml:"required_groups"`
	// RequireVerifiedEmail lets only an email the IdP marked verified
	// satisfy allowed_email_domains, allowed_emails and the emails of
	// rules. On by default; an unverified email is only seen at all with
	// upstream.allow_unverified_email.
	RequireVerifiedEmail bool `yaml:"require_verified_email"`
}

// Rule grants or withholds tools, resources and prompts from the users it
// applies to: those in any of Groups, with any of Emails, calling through
// any of Clients, signed in with any of IdPs (each list that is set must
// match; a rule that sets none applies to everyone), holding Scope if it
// is set.
type Rule struct {
	Name    string   `yaml:"name"`
	Groups  []string `yaml:"groups"`
	Emails  []string `yaml:"emails"`
	Clients []string `yaml:"clients"`
	// IdPs are names of upstreams: the rule applies to users who signed
	// in with one of them.
	IdPs []string `yaml:"idps"`
	// Scope limits the rule to tokens carrying this scope, which only the
	// users the rule's lists match may then be granted.
	Scope string `yaml:"scope"`
	// Allow and Deny list names (tools, prompts) and URIs (resources),
	// matched exactly or with * standing for any run of characters.
	Allow Permissions `yaml:"allow"`
	Deny  Permissions `yaml:"deny"`
}

// Permissions are the patterns of a rule's allow or deny.
type Permissions struct {
	Tools     []string `yaml:"tools"`
	Resources []string `yaml:"resources"`
	Prompts   []string `yaml:"prompts"`
}

func (p Permissions) empty() bool {
	return len(p.Tools) == 0 && len(p.Resources) == 0 && len(p.Prompts) == 0
}

// maxPatternLen bounds a rule's names and patterns; tool names are short
// (the MCP schema suggests at most 128 characters) and URIs rarely long.
const maxPatternLen = 2048

func (c *Config) validatePolicy(p *Problems) {
	s := &c.Policy.SignIn
	for i, d := range s.AllowedEmailDomains {
		key := fmt.Sprintf("policy.signin.allowed_email_domains[%d]", i)
		if d == "" || strings.ContainsAny(d, "@*/ ") || !printable(d) {
			p.add(key, "%q is not a domain such as example.com", d)
		}
	}
	for i, e := range s.AllowedEmails {
		checkEmail(p, fmt.Sprintf("policy.signin.allowed_emails[%d]", i), e, false)
	}
	checkNames(p, "policy.signin.required_groups", s.RequiredGroups)
	if t := c.Policy.PersonalTokens; t.MaxLifetime < 0 {
		p.add("policy.personal_tokens.max_lifetime", "must not be negative")
	} else if t.MaxLifetime > 0 && (t.MaxLifetime < time.Hour || t.MaxLifetime%time.Hour != 0) {
		p.add("policy.personal_tokens.max_lifetime", "must be a whole number of hours, at least 1h")
	}
	checkNames(p, "policy.personal_tokens.allowed_groups", c.Policy.PersonalTokens.AllowedGroups)
	checkNames(p, "policy.admin_groups", c.Policy.AdminGroups)
	validateRules(p, "policy.rules", c.Policy.Rules, c.MCP.Scopes, "mcp.scopes", c.idpNames())
}

// idpNames are the names of upstreams, which rules' idps may name.
func (c *Config) idpNames() []string {
	var out []string
	for _, u := range c.Upstreams {
		out = append(out, u.Name)
	}
	return out
}

// validateRules checks the rules at key, whose scopes must be among
// scopes (the list at scopesKey) and whose idps among idps.
func validateRules(p *Problems, key string, rules []Rule, scopes []string, scopesKey string, idps []string) {
	names := map[string]int{}
	for i, r := range rules {
		rk := fmt.Sprintf("%s[%d]", key, i)
		switch prev, dup := names[r.Name]; {
		case r.Name == "":
			p.add(rk+".name", "required: the audit log names the rule that decided")
		case dup:
			p.add(rk+".name", "%q is already the name of %s[%d]", r.Name, key, prev)
		case !printable(r.Name) || len(r.Name) > 200:
			p.add(rk+".name", "want printable text of at most 200 characters")
		default:
			names[r.Name] = i
		}
		checkNames(p, rk+".groups", r.Groups)
		checkNames(p, rk+".clients", r.Clients)
		for j, name := range r.IdPs {
			if !slices.Contains(idps, name) {
				p.add(fmt.Sprintf("%s.idps[%d]", rk, j), "%q is not the name of one of upstreams %q", name, idps)
			}
		}
		for j, e := range r.Emails {
			checkEmail(p, fmt.Sprintf("%s.emails[%d]", rk, j), e, true)
		}
		if r.Scope != "" && !slices.Contains(scopes, r.Scope) {
			p.add(rk+".scope", "%q is not one of %s %q", r.Scope, scopesKey, scopes)
		}
		if r.Allow.empty() && r.Deny.empty() {
			p.add(rk, "allows and denies nothing: give allow or deny at least one tool, resource or prompt")
		}
		r.Allow.validate(p, rk+".allow")
		r.Deny.validate(p, rk+".deny")
	}
}

func (ps Permissions) validate(p *Problems, key string) {
	checkNames(p, key+".tools", ps.Tools)
	checkNames(p, key+".resources", ps.Resources)
	checkNames(p, key+".prompts", ps.Prompts)
}

// checkNames checks a list of names or patterns: non-empty, printable,
// bounded, no duplicates.
func checkNames(p *Problems, key string, names []string) {
	for i, n := range names {
		k := fmt.Sprintf("%s[%d]", key, i)
		switch {
		case n == "":
			p.add(k, "empty")
		case !printable(n) || len(n) > maxPatternLen:
			p.add(k, "want printable text of at most %d characters", maxPatternLen)
		case slices.Contains(names[:i], n):
			p.add(k, "%q is a duplicate", n)
		}
	}
}

func checkEmail(p *Problems, key, e string, wildcard bool) {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || !printable(e) || strings.Contains(e, " ") ||
		(!wildcard && strings.Contains(e, "*")) {
		want := "an address such as ada@example.com"
		if wildcard {
			want += " or a pattern such as *@example.com"
		}
		p.add(key, "%q is not %s", e, want)
	}
}

// printable reports whether s holds no control characters.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
