package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

const claimTag = "claim"

// ClaimOnce implements store.Store: SET NX PXAT in claimScript, so the
// claim's TTL is its life and Redis forgets it when it no longer matters.
func (s *Store) ClaimOnce(ctx context.Context, key string, expiresAt time.Time) error {
	op := fmt.Sprintf("claim once %q", key)
	// A zero expiry is "already expired", as for the other short-lived
	// records: a caller who forgot it must not block the key forever.
	const zeroLives = false
	isLive := "0"
	if live(expiresAt, zeroLives, s.now()) {
		isLive = "1"
	}
	var ms int64
	if !expiresAt.IsZero() {
		ms = *toMillis(expiresAt)
	}
	keys := []string{s.recordKey(claimTag, key), s.indexKey(claimTag)}
	n, err := claimScript.Run(ctx, s.rdb, keys, isLive, ms, score(expiresAt, zeroLives), key).Int()
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if n == 0 {
		return fmt.Errorf("redis: %s: %w", op, store.ErrAlreadyExists)
	}
	return nil
}

const counterTag = "counter"

// Increment implements store.Store in one script (incrementScript); Redis
// forgets the counter when it expires, and the index lets GarbageCollect
// count it like the other kinds.
func (s *Store) Increment(ctx context.Context, key string, expiresAt time.Time) (int64, error) {
	keys := []string{s.recordKey(counterTag, key), s.indexKey(counterTag)}
	n, err := incrementScript.Run(ctx, s.rdb, keys, expiresAt.UnixMilli(), s.now().UnixMilli(), key).Int64()
	if err != nil {
		return 0, s.fail(ctx, fmt.Sprintf("increment %q", key), err)
	}
	return n, nil
}
