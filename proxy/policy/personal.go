package policy

import (
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/principal"
)

// DefaultTokenLifetime is the longest a personal access token may live
// when the policy does not say.
const DefaultTokenLifetime = 90 * 24 * time.Hour

// tokenLifetimes are the lifetimes offered when making a token.
var tokenLifetimes = []time.Duration{7 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour}

// PersonalTokens decides whether who may make and use personal access
// tokens: "" when they may, else why not, in words for the user.
func (p *Policy) PersonalTokens(who *principal.Principal) string {
	if p == nil {
		return ""
	}
	switch t := &p.personal; {
	case t.Disabled:
		return "Personal access tokens are turned off here."
	case len(t.AllowedGroups) > 0 && !slices.ContainsFunc(who.Groups, func(g string) bool { return slices.Contains(t.AllowedGroups, g) }):
		return "You are not a member of a group allowed personal access tokens."
	}
	return ""
}

// TokenLifetimeLimit is the longest a token may live now, and whether it
// may live until revoked: tokens made under a laxer policy are held to it.
func (p *Policy) TokenLifetimeLimit() (max time.Duration, noExpiry bool) {
	if p == nil {
		return DefaultTokenLifetime, false
	}
	return p.personal.MaxLifetime, p.personal.AllowNoExpiry
}

// TokenLifetimes are the lifetimes a new personal access token may have,
// shortest first; 0 stands for no expiry.
func (p *Policy) TokenLifetimes() []time.Duration {
	max, none := DefaultTokenLifetime, false
	if p != nil {
		max, none = p.personal.MaxLifetime, p.personal.AllowNoExpiry
	}
	var out []time.Duration
	for _, d := range tokenLifetimes {
		if d <= max {
			out = append(out, d)
		}
	}
	if len(out) == 0 || (max < DefaultTokenLifetime && !slices.Contains(out, max)) {
		out = append(out, max)
	}
	if none {
		out = append(out, 0)
	}
	return out
}

// Admin reports whether who is an administrator of the account pages.
func (p *Policy) Admin(who *principal.Principal) bool {
	return p != nil && len(p.admins) > 0 && slices.ContainsFunc(who.Groups, func(g string) bool { return slices.Contains(p.admins, g) })
}
