package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// ClaimOnce implements store.Store: an expired claim is replaced, a live
// one makes the insert fail on the primary key (ErrAlreadyExists).
func (s *Store) ClaimOnce(ctx context.Context, key string, expiresAt time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM claims WHERE key = $1 AND expires_at < $2", key, nowMS()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO claims (key, expires_at) VALUES ($1, $2)", key, expiresAt.UnixMilli())
		return err
	})
	if err != nil {
		return s.fail("claim once", err)
	}
	return nil
}

func gcClaims(ctx context.Context, q querier, now time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, "DELETE FROM claims WHERE expires_at < $1", now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
