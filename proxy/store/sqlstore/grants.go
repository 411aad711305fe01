package sqlstore

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var grants = (&table[store.Grant]{
	name: "grants",
	cols: []string{"family_id", "subject", "client_id", "scopes", "resource", "created_at", "last_used_at", "expires_at"},
	nkey: 1,
	args: func(g *store.Grant) []any {
		return []any{g.FamilyID, g.Subject, g.ClientID, jsonVal{g.Scopes}, g.Resource, msVal(g.CreatedAt), msVal(g.LastUsedAt), msVal(g.ExpiresAt)}
	},
	dest: func(g *store.Grant) []any {
		return []any{&g.FamilyID, &g.Subject, &g.ClientID, jsonScan{&g.Scopes}, &g.Resource, msScan{&g.CreatedAt}, msScan{&g.LastUsedAt}, msScan{&g.ExpiresAt}}
	},
}).build()

// CreateGrant implements store.Store.
func (s *Store) CreateGrant(ctx context.Context, g store.Grant) error {
	if err := s.writeStmt(ctx, func(q querier) error { return grants.create(ctx, q, s.nowMS(), &g) }); err != nil {
		return s.fail("create grant", err)
	}
	return nil
}

// UpdateGrant implements store.Store.
func (s *Store) UpdateGrant(ctx context.Context, familyID string, update func(*store.Grant) error) error {
	_, err := runUpdate(ctx, s, "update grant", grants, []any{familyID}, update)
	return err
}

// DeleteGrant implements store.Store.
func (s *Store) DeleteGrant(ctx context.Context, familyID string) error {
	if err := s.writeStmt(ctx, func(q querier) error { return grants.delete(ctx, q, s.nowMS(), familyID) }); err != nil {
		return s.fail("delete grant", err)
	}
	return nil
}

var grantsOfSQL = "SELECT " + grants.colList + " FROM grants WHERE subject = $1 AND " + grants.live(2)

// GrantsOf implements store.Store.
func (s *Store) GrantsOf(ctx context.Context, subject string) ([]store.Grant, error) {
	return listRows(ctx, s, "list grants", grants, grantsOfSQL, subject, s.nowMS())
}

var allGrantsSQL = "SELECT " + grants.colList + " FROM grants WHERE " + grants.live(1) + " ORDER BY subject LIMIT $2"

// AllGrants implements store.Store.
func (s *Store) AllGrants(ctx context.Context, limit int) ([]store.Grant, error) {
	return listRows(ctx, s, "list grants", grants, allGrantsSQL, s.nowMS(), limit)
}
