package authserver

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// ConnectedClient is an MCP client that holds access to a user's account:
// the refresh families it holds, summed up.
type ConnectedClient struct {
	ClientID, Name, Provenance string
	// FirstUsed is when it got its first grant still alive; LastUsed when
	// it last got tokens.
	FirstUsed, LastUsed time.Time
	Scopes, Resources   []string
	Grants              int
}

// recordGrant lists a new refresh family on its user's account page. The
// family works without it, so a failure is only logged: the user would
// not see the client until its next refresh lists it again.
func (s *Server) recordGrant(ctx context.Context, rt store.RefreshToken, now time.Time) {
	g := store.Grant{FamilyID: rt.FamilyID, Subject: rt.Identity.Subject, ClientID: rt.ClientID, Scopes: rt.Scopes,
		Resource: rt.Resource, CreatedAt: now, LastUsedAt: now, ExpiresAt: rt.FamilyExpiresAt}
	if err := s.store.CreateGrant(ctx, g); err != nil {
		s.log.WarnContext(ctx, "list grant for the account page", "client_id", rt.ClientID, "err", err)
	}
}

// touchGrant notes a refresh of rt's family: its last use, its scopes now.
// A family from before grants were listed is listed now, from its sign-in.
func (s *Server) touchGrant(ctx context.Context, rt store.RefreshToken, now time.Time) {
	err := s.store.UpdateGrant(ctx, rt.FamilyID, func(g *store.Grant) error {
		g.LastUsedAt, g.Scopes = now, rt.Scopes
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		s.recordGrant(ctx, rt, rt.AuthTime)
		err = s.store.UpdateGrant(ctx, rt.FamilyID, func(g *store.Grant) error { g.LastUsedAt = now; return nil })
	}
	if err != nil {
		s.log.WarnContext(ctx, "note grant use for the account page", "client_id", rt.ClientID, "err", err)
	}
}

func (s *Server) dropGrant(ctx context.Context, familyID string) {
	if err := s.store.DeleteGrant(ctx, familyID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.WarnContext(ctx, "unlist revoked grant", "err", err)
	}
}

// FirstPartyClient reports whether id is a client the operator configured:
// only those reach the account API, which no client the user approved for
// an MCP server should.
func (s *Server) FirstPartyClient(id string) bool {
	_, ok := s.static[id]
	return ok
}

// ConnectedClients lists the clients holding access to subject's account,
// the most recently used first.
func (s *Server) ConnectedClients(ctx context.Context, subject string) ([]ConnectedClient, error) {
	grants, err := s.store.GrantsOf(ctx, subject)
	if err != nil {
		return nil, internal("list grants", err)
	}
	return s.summarize(ctx, grants), nil
}

// summarize groups one user's grants by client.
func (s *Server) summarize(ctx context.Context, grants []store.Grant) []ConnectedClient {
	byClient := map[string]*ConnectedClient{}
	var out []*ConnectedClient
	for _, g := range grants {
		c := byClient[g.ClientID]
		if c == nil {
			c = &ConnectedClient{ClientID: g.ClientID, Name: g.ClientID, Provenance: "This application is no longer registered.",
				FirstUsed: g.CreatedAt, LastUsed: g.LastUsedAt}
			if client, _, err := s.lookupClient(ctx, g.ClientID); err == nil {
				c.Name, c.Provenance = clientName(client)
			}
			byClient[g.ClientID] = c
			out = append(out, c)
		}
		c.Grants++
		c.FirstUsed = earliest(c.FirstUsed, g.CreatedAt)
		if g.LastUsedAt.After(c.LastUsed) {
			c.LastUsed = g.LastUsedAt
		}
		for _, sc := range g.Scopes {
			if !slices.Contains(c.Scopes, sc) {
				c.Scopes = append(c.Scopes, sc)
			}
		}
		if !slices.Contains(c.Resources, g.Resource) {
			c.Resources = append(c.Resources, g.Resource)
		}
	}
	slices.SortFunc(out, func(a, b *ConnectedClient) int { return b.LastUsed.Compare(a.LastUsed) })
	list := make([]ConnectedClient, len(out))
	for i, c := range out {
		list[i] = *c
	}
	return list
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// RevokeClient ends every grant clientID holds to subject's account (its
// refresh tokens at once, its access tokens through the revocation list)
// and forgets the user's consent, so that the client must ask again. by
// names who revoked it, for the audit log.
func (s *Server) RevokeClient(ctx context.Context, subject, clientID, by string) error {
	grants, err := s.store.GrantsOf(ctx, subject)
	if err != nil {
		return internal("list grants", err)
	}
	found := false
	for _, g := range grants {
		if g.ClientID != clientID {
			continue
		}
		found = true
		if err := s.revokeGrant(ctx, g.FamilyID); err != nil {
			return internal("revoke client grant", err)
		}
	}
	if err := s.store.DeleteConsent(ctx, subject, clientID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("forget consent", err)
	}
	if !found {
		return pageError(http.StatusNotFound, "No such application", "The application holds no access to your account any more.")
	}
	s.tokenEvent(TokenEvent{Client: true, Action: "revoke", Subject: subject, TokenID: clientID, RevokedBy: by})
	return nil
}
