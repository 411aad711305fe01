package redis

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

type upstreamGrantWire struct {
	FamilyID     string `json:"family_id"`
	Subject      string `json:"sub"`
	SessionID    string `json:"sid,omitempty"`
	RefreshToken []byte `json:"refresh_token,omitempty"`
	CheckedAt    *int64 `json:"checked_at,omitempty"`
	Version      int64  `json:"version"`
	CreatedAt    *int64 `json:"created_at,omitempty"`
	ExpiresAt    *int64 `json:"expires_at,omitempty"`
}

var upstreamGrants = kind[store.UpstreamGrant, upstreamGrantWire]{
	name:    "upstream grant",
	tag:     "upstream",
	id:      func(g store.UpstreamGrant) string { return g.FamilyID },
	expires: func(g store.UpstreamGrant) time.Time { return g.ExpiresAt },
	// The set of a subject's grants, for UpstreamGrantsOf; the prefix
	// keeps it apart from refresh families, whose IDs have no ':'.
	family: func(g store.UpstreamGrant) string { return upstreamSubjectSet(g.Subject) },
	toWire: func(g store.UpstreamGrant) upstreamGrantWire {
		return upstreamGrantWire{FamilyID: g.FamilyID, Subject: g.Subject, SessionID: g.SessionID, RefreshToken: g.RefreshToken,
			CheckedAt: toMillis(g.CheckedAt), Version: g.Version, CreatedAt: toMillis(g.CreatedAt), ExpiresAt: toMillis(g.ExpiresAt)}
	},
	fromWire: func(w upstreamGrantWire) store.UpstreamGrant {
		return store.UpstreamGrant{FamilyID: w.FamilyID, Subject: w.Subject, SessionID: w.SessionID, RefreshToken: w.RefreshToken,
			CheckedAt: fromMillis(w.CheckedAt), Version: w.Version, CreatedAt: fromMillis(w.CreatedAt), ExpiresAt: fromMillis(w.ExpiresAt)}
	},
}

// CreateUpstreamGrant implements store.Store.
func (s *Store) CreateUpstreamGrant(ctx context.Context, g store.UpstreamGrant) error {
	return upstreamGrants.create(ctx, s, g)
}

// GetUpstreamGrant implements store.Store.
func (s *Store) GetUpstreamGrant(ctx context.Context, familyID string) (store.UpstreamGrant, error) {
	return upstreamGrants.get(ctx, s, familyID)
}

// UpdateUpstreamGrant implements store.Store.
func (s *Store) UpdateUpstreamGrant(ctx context.Context, familyID string, update func(*store.UpstreamGrant) error) error {
	_, err := upstreamGrants.update(ctx, s, familyID, update)
	return err
}

// DeleteUpstreamGrant implements store.Store.
func (s *Store) DeleteUpstreamGrant(ctx context.Context, familyID string) error {
	return upstreamGrants.delete(ctx, s, familyID)
}

func upstreamSubjectSet(subject string) string { return "upstream-of:" + subject }

// UpstreamGrantsOf implements store.Store. The subject's set may still
// name grants deleted since (a delete leaves the set to GarbageCollect):
// they read as not found and are skipped.
func (s *Store) UpstreamGrantsOf(ctx context.Context, subject string) ([]store.UpstreamGrant, error) {
	return membersOf(ctx, s, upstreamGrants, upstreamSubjectSet(subject), "list upstream grants",
		func(g store.UpstreamGrant) bool { return g.Subject == subject })
}
