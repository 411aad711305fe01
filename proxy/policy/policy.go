package policy

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcpgate/mcpgate/proxy/principal"
)

// Kind is what a call names: a tool, a resource or a prompt.
type Kind uint8

const (
	Tool Kind = iota
	Resource
	Prompt
	kinds
)

func (k Kind) String() string {
	switch k {
	case Tool:
		return "tool"
	case Resource:
		return "resource"
	case Prompt:
		return "prompt"
	}
	return "unknown"
}

// Config is a policy as written in the configuration (policy: there).
type Config struct {
	SignIn         SignIn
	Rules          []Rule
	PersonalTokens PersonalTokens
	// AdminGroups' members see and revoke every user's grants and tokens.
	AdminGroups []string
}

// PersonalTokens says who may make personal access tokens, and for how
// long.
type PersonalTokens struct {
	// Disabled forbids them: none is made, and those made before stop
	// working.
	Disabled bool
	// MaxLifetime caps a token's lifetime; 0 is 90 days.
	MaxLifetime time.Duration
	// AllowNoExpiry lets a token live until revoked.
	AllowNoExpiry bool
	// AllowedGroups, when set, limits them to members of one of these.
	AllowedGroups []string
}

// SignIn says who may sign in; empty lists do not restrict.
type SignIn struct {
	AllowedEmailDomains []string
	AllowedEmails       []string
	RequiredGroups      []string
	// RequireVerifiedEmail lets only a verified email match the email
	// lists, here and in rules.
	RequireVerifiedEmail bool
}

// Rule grants (Allow) or withholds (Deny) names and URIs from the
// principals it applies to: each of Groups, Emails, Clients and IdPs that
// is set must match one of its entries, and Scope, if set, must be held.
type Rule struct {
	Name    string
	Groups  []string
	Emails  []string
	Clients []string
	// IdPs name the upstream IdPs (Principal.IdP) the rule applies to.
	IdPs  []string
	Scope string
	Allow Permissions
	Deny  Permissions
}

// Permissions are names (tools, prompts) and URIs (resources), exact or
// with '*' wildcards.
type Permissions struct {
	Tools     []string
	Resources []string
	Prompts   []string
}

func (p Permissions) of(k Kind) []string {
	switch k {
	case Tool:
		return p.Tools
	case Resource:
		return p.Resources
	}
	return p.Prompts
}

// Policy is a compiled, immutable policy.
type Policy struct {
	signIn   signIn
	personal PersonalTokens
	admins   []string
	rules    []rule
	// scoped are the scopes some rule names: only the principals such a
	// rule matches may be granted them.
	scoped map[string]bool
	// allow and deny index every rule's patterns, by kind. The deny index
	// of tools and prompts holds the patterns folded (foldName), and is
	// searched with the folded name.
	allow, deny [kinds]index
}

type signIn struct {
	domains        []string // lower case
	emails         []string // lower case
	groups         []string
	verifiedEmails bool
}

type rule struct {
	name    string
	groups  map[string]bool
	emails  patterns // lower case
	clients patterns
	idps    []string
	scope   string
	allow   [kinds]patterns
	deny    [kinds]patterns
}

// New compiles c. Every string is a valid pattern, so it cannot fail;
// the configuration's validation reports what makes no sense.
func New(c Config) *Policy {
	p := &Policy{
		signIn: signIn{
			domains:        lowerAll(c.SignIn.AllowedEmailDomains),
			emails:         lowerAll(c.SignIn.AllowedEmails),
			groups:         slices.Clone(c.SignIn.RequiredGroups),
			verifiedEmails: c.SignIn.RequireVerifiedEmail,
		},
		scoped:   map[string]bool{},
		personal: c.PersonalTokens,
		admins:   slices.Clone(c.AdminGroups),
	}
	if p.personal.MaxLifetime <= 0 {
		p.personal.MaxLifetime = DefaultTokenLifetime
	}
	for _, r := range c.Rules {
		cr := rule{name: r.Name, emails: compilePatterns(r.Emails, true), clients: compilePatterns(r.Clients, false),
			idps: slices.Clone(r.IdPs), scope: r.Scope}
		if len(r.Groups) > 0 {
			cr.groups = make(map[string]bool, len(r.Groups))
			for _, g := range r.Groups {
				cr.groups[g] = true
			}
		}
		for k := range kinds {
			cr.allow[k] = compilePatterns(r.Allow.of(k), false)
			cr.deny[k] = compilePatterns(r.Deny.of(k), false)
		}
		if r.Scope != "" {
			p.scoped[r.Scope] = true
		}
		for k := range kinds {
			for _, pat := range cr.allow[k] {
				p.allow[k].add(pat, len(p.rules))
			}
			for _, pat := range cr.deny[k] {
				if folds(k) {
					pat = compilePattern(foldName(pat.raw))
				}
				p.deny[k].add(pat, len(p.rules))
			}
		}
		p.rules = append(p.rules, cr)
	}
	return p
}

// HasRules reports whether calls are checked at all: without rules every
// call is allowed and nothing needs to be read from a request.
func (p *Policy) HasRules() bool { return p != nil && len(p.rules) > 0 }

// Rules is the number of rules.
func (p *Policy) Rules() int { return len(p.rules) }

// selects reports whether r applies to who, scope aside.
func (p *Policy) selects(r *rule, who *principal.Principal, email string) bool {
	if r.groups != nil && !slices.ContainsFunc(who.Groups, func(g string) bool { return r.groups[g] }) {
		return false
	}
	if len(r.emails) > 0 && (email == "" || !r.emails.match(email)) {
		return false
	}
	if len(r.clients) > 0 && !r.clients.match(who.ClientID) {
		return false
	}
	if len(r.idps) > 0 && !slices.Contains(r.idps, who.IdP) {
		return false
	}
	return true
}

// matchableEmail is the email the policy may match on, lower case, or ""
// when there is none it may trust.
func (p *Policy) matchableEmail(who *principal.Principal) string {
	if who.Email == "" || (p.signIn.verifiedEmails && !who.EmailVerified) {
		return ""
	}
	return strings.ToLower(who.Email)
}

// GrantableScope reports whether who may be granted scope: any scope no
// rule names, and a scope some rule names only to a principal such a rule
// applies to.
func (p *Policy) GrantableScope(who *principal.Principal, scope string) bool {
	if p == nil || !p.scoped[scope] {
		return true
	}
	email := p.matchableEmail(who)
	for i := range p.rules {
		if r := &p.rules[i]; r.scope == scope && p.selects(r, who, email) {
			return true
		}
	}
	return false
}

// Current holds the policy in force; a reload stores a new one, and every
// reader sees either the old or the new policy whole.
type Current struct{ p atomic.Pointer[Policy] }

// NewCurrent returns a Current holding p.
func NewCurrent(p *Policy) *Current {
	c := &Current{}
	c.p.Store(p)
	return c
}

// Load returns the policy in force; nil Current means no policy.
func (c *Current) Load() *Policy {
	if c == nil {
		return nil
	}
	return c.p.Load()
}

// Store puts p in force.
func (c *Current) Store(p *Policy) { c.p.Store(p) }

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}
