package sqlstore

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var upstreamGrants = (&table[store.UpstreamGrant]{
	name: "upstream_grants",
	cols: []string{"family_id", "subject", "session_id", "refresh_token", "checked_at", "version", "created_at", "expires_at"},
	nkey: 1,
	args: func(g *store.UpstreamGrant) []any {
		return []any{g.FamilyID, g.Subject, g.SessionID, g.RefreshToken, msVal(g.CheckedAt), g.Version, msVal(g.CreatedAt), msVal(g.ExpiresAt)}
	},
	dest: func(g *store.UpstreamGrant) []any {
		return []any{&g.FamilyID, &g.Subject, &g.SessionID, &g.RefreshToken, msScan{&g.CheckedAt}, &g.Version, msScan{&g.CreatedAt}, msScan{&g.ExpiresAt}}
	},
}).build()

// CreateUpstreamGrant implements store.Store.
func (s *Store) CreateUpstreamGrant(ctx context.Context, g store.UpstreamGrant) error {
	if err := s.writeStmt(ctx, func(q querier) error { return upstreamGrants.create(ctx, q, s.nowMS(), &g) }); err != nil {
		return s.fail("create upstream grant", err)
	}
	return nil
}

// GetUpstreamGrant implements store.Store.
func (s *Store) GetUpstreamGrant(ctx context.Context, familyID string) (store.UpstreamGrant, error) {
	g, err := upstreamGrants.get(ctx, s.reads, s.nowMS(), false, familyID)
	if err != nil {
		return store.UpstreamGrant{}, s.fail("get upstream grant", err)
	}
	return g, nil
}

// UpdateUpstreamGrant implements store.Store.
func (s *Store) UpdateUpstreamGrant(ctx context.Context, familyID string, update func(*store.UpstreamGrant) error) error {
	_, err := runUpdate(ctx, s, "update upstream grant", upstreamGrants, []any{familyID}, update)
	return err
}

// DeleteUpstreamGrant implements store.Store.
func (s *Store) DeleteUpstreamGrant(ctx context.Context, familyID string) error {
	if err := s.writeStmt(ctx, func(q querier) error { return upstreamGrants.delete(ctx, q, s.nowMS(), familyID) }); err != nil {
		return s.fail("delete upstream grant", err)
	}
	return nil
}

var upstreamGrantsOfSQL = "SELECT " + upstreamGrants.colList + " FROM upstream_grants WHERE subject = $1 AND " + upstreamGrants.live(2)

// UpstreamGrantsOf implements store.Store.
func (s *Store) UpstreamGrantsOf(ctx context.Context, subject string) ([]store.UpstreamGrant, error) {
	return listRows(ctx, s, "list upstream grants", upstreamGrants, upstreamGrantsOfSQL, subject, s.nowMS())
}

// listRows runs query, a SELECT of t's columns, and scans every row.
func listRows[T any](ctx context.Context, s *Store, op string, t *table[T], query string, args ...any) ([]T, error) {
	rows, err := s.reads.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		var v T
		if err := rows.Scan(t.dest(&v)...); err != nil {
			return nil, s.fail(op, err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return list, nil
}
