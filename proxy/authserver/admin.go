package authserver

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// adminListLimit bounds what the administrators' view reads of each kind.
const adminListLimit = 5000

// UserAccess is one user as the administrators' view shows them.
type UserAccess struct {
	Subject string
	// Email is the one the user's tokens carry, when known.
	Email   string
	Clients []ConnectedClient
	Tokens  []store.PersonalToken
}

// IsAdmin reports whether id may use the administrators' view, by the
// groups of its session.
func (s *Server) IsAdmin(id store.Identity) bool {
	return s.cfg.Policy.Load().Admin(principalOf(id, "", nil))
}

// checkAdmin lets admin act only as the IdP describes them now (within
// upstream.check_interval), not as their session's sign-in did: one
// removed from the admin group at the IdP loses the view at once.
func (s *Server) checkAdmin(ctx context.Context, admin store.Identity) error {
	fresh, err := s.checkUpstream(ctx, admin)
	switch {
	case errors.Is(err, errUpstreamRevoked):
		return errNotAdmin
	case err != nil:
		return internal("check administrator with the IdP", err)
	case fresh != nil:
		admin = *fresh
	}
	if !s.IsAdmin(admin) {
		return errNotAdmin
	}
	return nil
}

var errNotAdmin = pageError(http.StatusForbidden, "Not allowed", "Only administrators see this page.")

// AllAccess lists every user with live grants or personal access tokens,
// for admin; truncated says the store held more than was read.
func (s *Server) AllAccess(ctx context.Context, admin store.Identity) (users []UserAccess, truncated bool, err error) {
	if err := s.checkAdmin(ctx, admin); err != nil {
		return nil, false, err
	}
	grants, err := s.store.AllGrants(ctx, adminListLimit)
	if err != nil {
		return nil, false, internal("list all grants", err)
	}
	tokens, err := s.store.AllPersonalTokens(ctx, adminListLimit)
	if err != nil {
		return nil, false, internal("list all tokens", err)
	}
	bySubject := map[string]*UserAccess{}
	user := func(sub string) *UserAccess {
		if u := bySubject[sub]; u != nil {
			return u
		}
		u := &UserAccess{Subject: sub}
		bySubject[sub] = u
		return u
	}
	subjects := map[string][]store.Grant{}
	for _, g := range grants {
		subjects[g.Subject] = append(subjects[g.Subject], g)
	}
	for sub, gs := range subjects {
		user(sub).Clients = s.summarize(ctx, gs)
	}
	for _, t := range tokens {
		u := user(t.Identity.Subject)
		u.Tokens = append(u.Tokens, t)
		if u.Email == "" {
			u.Email = t.Identity.Email
		}
	}
	for _, u := range bySubject {
		users = append(users, *u)
	}
	slices.SortFunc(users, func(a, b UserAccess) int { return strings.Compare(a.Subject, b.Subject) })
	return users, len(grants) == adminListLimit || len(tokens) == adminListLimit, nil
}

// AdminRevokeClient and AdminRevokeToken revoke another user's grant or
// token for admin.
func (s *Server) AdminRevokeClient(ctx context.Context, admin store.Identity, subject, clientID string) error {
	if err := s.checkAdmin(ctx, admin); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "administrator revoked a client", "admin", admin.Subject, "sub", subject, "client_id", clientID)
	return s.RevokeClient(ctx, subject, clientID, admin.Subject)
}

func (s *Server) AdminRevokeToken(ctx context.Context, admin store.Identity, subject, id string) error {
	if err := s.checkAdmin(ctx, admin); err != nil {
		return err
	}
	return s.RevokePersonalToken(ctx, subject, id, admin.Subject)
}
