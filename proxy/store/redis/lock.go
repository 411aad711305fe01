package redis

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// Backoff between attempts to take a lock. Updates hold a lock for a few
// round trips, well under a millisecond on a LAN, so start short; the cap
// keeps twenty waiters from hammering Redis.
const (
	lockBackoffMin = time.Millisecond
	lockBackoffMax = 25 * time.Millisecond
)

// lock takes the update lock of record tag:id, waiting for it up to
// s.lockWait, and returns the function that releases it. doc.go says why
// updates lock rather than retry.
//
// The lock expires after s.lockTTL so that a process dying while holding it
// blocks the record for that long at most. An update outliving the TTL is
// caught by the WATCH on the record, not by the lock.
func (s *Store) lock(ctx context.Context, op, tag, id string) (unlock func(), err error) {
	key := s.lockKey(tag, id)
	token := rand.Text()
	deadline := time.Now().Add(s.lockWait)
	backoff := lockBackoffMin
	for {
		ok, err := s.rdb.SetNX(ctx, key, token, s.lockTTL).Result()
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		if ok {
			return func() { s.unlock(ctx, key, token) }, nil
		}
		if time.Now().After(deadline) {
			// Whoever holds it is stuck or the record is hot beyond
			// reason; a retry later is the caller's best option.
			return nil, fmt.Errorf("redis: %s: locked by another update for over %v: %w", op, s.lockWait, store.ErrUnavailable)
		}
		// Jitter so that waiters woken together do not collide again.
		sleep := backoff/2 + mrand.N(backoff)
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, s.fail(ctx, op, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, lockBackoffMax)
	}
}

// unlock releases a lock if it is still ours. Failing to (Redis went away,
// or ctx ended) needs no handling: the lock expires by itself, and the
// caller's result does not depend on it. The release must happen even when
// the caller's context was cancelled mid-update, hence WithoutCancel.
func (s *Store) unlock(ctx context.Context, key, token string) {
	_ = unlockScript.Run(context.WithoutCancel(ctx), s.rdb, []string{key}, token).Err()
}
