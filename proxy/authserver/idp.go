package authserver

import (
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/upstream"
)

// IdP is one upstream identity provider users sign in with.
type IdP struct {
	// Name tells it from the others: in the callback path, the identity
	// (store.Identity.IdP), the tokens' idp claim and policy rules. ""
	// for the only one.
	Name string
	// DisplayName labels it on the chooser page.
	DisplayName string
	// EmailDomains (lower case) route users who type their email on the
	// chooser to this IdP.
	EmailDomains []string
	Provider     upstream.Provider
	// AllowUnverifiedEmail keeps an email this IdP did not verify
	// (marked so); by default such an email is dropped from the
	// identity, so that no token, header or assertion presents it as the
	// user's.
	AllowUnverifiedEmail bool
	// MaxSessionAge, when set, refuses a refresh whose sign-in at this
	// IdP is older, so that the user signs in again (for IdPs that
	// cannot be asked about the user later).
	MaxSessionAge time.Duration
	// CheckInterval is the least time between two checks of one sign-in
	// with the IdP (UpstreamTracking); 0 checks on every refresh.
	CheckInterval time.Duration
}

// refresher is the IdP's way of asking about a user again, or nil.
func (i *IdP) refresher() upstream.Refresher {
	r, _ := i.Provider.(upstream.Refresher)
	return r
}

// logouts is the IdP's logout token verifier, or nil.
func (i *IdP) logouts() upstream.LogoutVerifier {
	lv, _ := i.Provider.(upstream.LogoutVerifier)
	return lv
}

// idp is the configured IdP named name, or nil: a sign-in through an IdP
// removed from the configuration is not honoured.
func (s *Server) idp(name string) *IdP {
	for i := range s.idps {
		if s.idps[i].Name == name {
			return &s.idps[i]
		}
	}
	return nil
}

// idpForEmail is the IdP the domain of email routes to, or nil.
func (s *Server) idpForEmail(email string) *IdP {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return nil
	}
	domain := strings.ToLower(email[at+1:])
	for i := range s.idps {
		for _, d := range s.idps[i].EmailDomains {
			if d == domain {
				return &s.idps[i]
			}
		}
	}
	return nil
}
