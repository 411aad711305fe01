package sqlstore

import (
	"context"
	"errors"
	"time"
)

// EnsureSecret implements store.Store. The insert and the read need no
// common transaction: secrets are never deleted or changed, so whatever the
// read finds is the first value any replica stored.
func (s *Store) EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if len(value) == 0 {
		// An empty key would make every MAC forgeable; refuse rather than
		// let it become the value every replica agrees on.
		return nil, s.fail("ensure secret", errors.New("empty value"))
	}
	_, err := s.exec(ctx,
		"INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
		name, value, time.Now().UnixMilli())
	if err != nil {
		return nil, s.fail("ensure secret", err)
	}
	var stored []byte
	if err := s.reads.QueryRowContext(ctx, "SELECT value FROM secrets WHERE name = $1", name).Scan(&stored); err != nil {
		return nil, s.fail("ensure secret", err)
	}
	return stored, nil
}
