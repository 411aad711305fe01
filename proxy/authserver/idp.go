package authserver

import (
	"slices"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
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
	// IDJAGClients are the clients this IdP may grant access with
	// ID-JAGs (the jwt-bearer grant).
	IDJAGClients []string

	// Set by New when there are several IdPs, none of which may speak for
	// another: its groups are qualified by its name ("corp:eng"), and an
	// email in a domain another IdP is for is not believed.
	qualifyGroups bool
	othersDomains []string
}

// vouchable is the part of an upstream identity mcpgate stands behind. An
// email the IdP did not verify may belong to someone else (users who can
// set their own address at the IdP), so it is dropped unless the operator
// allows it, and then it stays marked unverified. With several IdPs, one
// cannot claim another's users: groups carry the IdP's name, and an email
// of a domain another IdP is for is dropped.
func (i *IdP) vouchable(u upstream.Identity) store.Identity {
	id := store.Identity{Subject: u.Subject, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name, Groups: u.Groups, IdP: i.Name}
	if !id.EmailVerified && !i.AllowUnverifiedEmail {
		id.Email = ""
	}
	if at := strings.LastIndexByte(id.Email, '@'); at >= 0 && slices.Contains(i.othersDomains, strings.ToLower(id.Email[at+1:])) {
		id.Email, id.EmailVerified = "", false
	}
	if i.qualifyGroups && len(id.Groups) > 0 {
		qualified := make([]string, len(id.Groups))
		for j, g := range id.Groups {
			qualified[j] = i.Name + ":" + g
		}
		id.Groups = qualified
	}
	return id
}

// isolate marks each of several IdPs apart from the others (vouchable).
func isolate(idps []IdP) {
	if len(idps) < 2 {
		return
	}
	for i := range idps {
		idps[i].qualifyGroups = true
		idps[i].othersDomains = nil
		for j := range idps {
			if j != i {
				idps[i].othersDomains = append(idps[i].othersDomains, idps[j].EmailDomains...)
			}
		}
	}
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
