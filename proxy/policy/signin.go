package policy

import (
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/proxy/principal"
)

// SignInDecision is whether a user may sign in, and if not, why, in words
// for the user.
type SignInDecision struct {
	Allowed bool
	// Reason is shown to the refused user and written to the audit log.
	Reason string
	// Code names the reason in a word, for metrics: no_email,
	// unverified_email, email_not_allowed, group_required.
	Code string
}

// SignIn decides whether who (an identity the IdP just vouched for) may
// sign in.
func (p *Policy) SignIn(who *principal.Principal) SignInDecision {
	if p == nil {
		return SignInDecision{Allowed: true}
	}
	s := &p.signIn
	if len(s.domains) > 0 || len(s.emails) > 0 {
		email := p.matchableEmail(who)
		switch {
		case who.Email == "":
			return SignInDecision{Code: "no_email", Reason: "Your identity provider did not give an email address, and only certain addresses may sign in."}
		case email == "":
			return SignInDecision{Code: "unverified_email", Reason: "Your identity provider has not verified your email address, and only verified addresses may sign in."}
		case !slices.Contains(s.emails, email) && !slices.Contains(s.domains, domainOf(email)):
			return SignInDecision{Code: "email_not_allowed", Reason: "Your email address is not one of those allowed to sign in."}
		}
	}
	if len(s.groups) > 0 && !slices.ContainsFunc(who.Groups, func(g string) bool { return slices.Contains(s.groups, g) }) {
		return SignInDecision{Code: "group_required", Reason: "You are not a member of a group allowed to sign in."}
	}
	return SignInDecision{Allowed: true}
}

func domainOf(email string) string {
	return email[strings.LastIndexByte(email, '@')+1:]
}
