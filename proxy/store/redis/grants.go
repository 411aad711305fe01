package redis

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

type grantWire struct {
	FamilyID   string   `json:"family_id"`
	Subject    string   `json:"sub"`
	ClientID   string   `json:"client_id"`
	Scopes     []string `json:"scopes,omitempty"`
	Resource   string   `json:"resource,omitempty"`
	CreatedAt  *int64   `json:"created_at,omitempty"`
	LastUsedAt *int64   `json:"last_used_at,omitempty"`
	ExpiresAt  *int64   `json:"expires_at,omitempty"`
}

var grants = kind[store.Grant, grantWire]{
	name:    "grant",
	tag:     "grant",
	id:      func(g store.Grant) string { return g.FamilyID },
	expires: func(g store.Grant) time.Time { return g.ExpiresAt },
	// The set of a subject's grants, for GrantsOf.
	family: func(g store.Grant) string { return grantSubjectSet(g.Subject) },
	toWire: func(g store.Grant) grantWire {
		return grantWire{FamilyID: g.FamilyID, Subject: g.Subject, ClientID: g.ClientID, Scopes: g.Scopes, Resource: g.Resource,
			CreatedAt: toMillis(g.CreatedAt), LastUsedAt: toMillis(g.LastUsedAt), ExpiresAt: toMillis(g.ExpiresAt)}
	},
	fromWire: func(w grantWire) store.Grant {
		return store.Grant{FamilyID: w.FamilyID, Subject: w.Subject, ClientID: w.ClientID, Scopes: w.Scopes, Resource: w.Resource,
			CreatedAt: fromMillis(w.CreatedAt), LastUsedAt: fromMillis(w.LastUsedAt), ExpiresAt: fromMillis(w.ExpiresAt)}
	},
}

// CreateGrant implements store.Store.
func (s *Store) CreateGrant(ctx context.Context, g store.Grant) error {
	return grants.create(ctx, s, g)
}

// UpdateGrant implements store.Store.
func (s *Store) UpdateGrant(ctx context.Context, familyID string, update func(*store.Grant) error) error {
	_, err := grants.update(ctx, s, familyID, update)
	return err
}

// DeleteGrant implements store.Store.
func (s *Store) DeleteGrant(ctx context.Context, familyID string) error {
	return grants.delete(ctx, s, familyID)
}

func grantSubjectSet(subject string) string { return "grants-of:" + subject }

// GrantsOf implements store.Store; the set may name grants deleted since,
// which are skipped.
func (s *Store) GrantsOf(ctx context.Context, subject string) ([]store.Grant, error) {
	return membersOf(ctx, s, grants, grantSubjectSet(subject), "list grants",
		func(g store.Grant) bool { return g.Subject == subject })
}

// AllGrants implements store.Store, from the expiry index.
func (s *Store) AllGrants(ctx context.Context, limit int) ([]store.Grant, error) {
	return allLive(ctx, s, grants, limit, "list grants")
}
