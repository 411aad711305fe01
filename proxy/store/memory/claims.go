package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// ClaimOnce implements store.Store.
func (s *Store) ClaimOnce(ctx context.Context, key string, expiresAt time.Time) error {
	if err := s.lock(ctx, "claim once"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if exp, ok := s.claims[key]; ok && live(exp, alreadyIfZero, s.now()) {
		return fmt.Errorf("memory: claim once: %w", store.ErrAlreadyExists)
	}
	s.claims[key] = ms(expiresAt)
	return nil
}

// counter is an Increment counter and when it ends.
type counter struct {
	n       int64
	expires time.Time
}

// Increment implements store.Store.
func (s *Store) Increment(ctx context.Context, key string, expiresAt time.Time) (int64, error) {
	if err := s.lock(ctx, "increment"); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	c, ok := s.counters[key]
	if !ok || !live(c.expires, alreadyIfZero, s.now()) {
		c = counter{expires: ms(expiresAt)}
	}
	c.n++
	s.counters[key] = c
	return c.n, nil
}

// gcMap deletes the entries of m whose expiry (zero: already) is before
// now and counts them.
func gcMap[K comparable, V any](m map[K]V, expires func(V) time.Time, now time.Time) int64 {
	var n int64
	for k, v := range m {
		if !live(expires(v), alreadyIfZero, now) {
			delete(m, k)
			n++
		}
	}
	return n
}
