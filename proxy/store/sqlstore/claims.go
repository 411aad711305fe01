package sqlstore

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// claimSQL takes a key that is free or whose claim has expired, in one
// statement: of racing claims the unique index lets exactly one insert or
// replace, and the others find a live claim and change nothing.
const claimSQL = `INSERT INTO claims (key, expires_at) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE claims.expires_at < $3`

// ClaimOnce implements store.Store.
func (s *Store) ClaimOnce(ctx context.Context, key string, expiresAt time.Time) error {
	n, err := s.exec(ctx, claimSQL, key, expiresAt.UnixMilli(), s.nowMS())
	if err == nil && n == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return s.fail("claim once", err)
	}
	return nil
}

func gcClaims(ctx context.Context, q querier, now time.Time) (int64, error) {
	return rowsAffected(q.ExecContext(ctx, "DELETE FROM claims WHERE expires_at < $1", now.UnixMilli()))
}
