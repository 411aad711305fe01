package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var claimTests = []test{
	{"OnceUntilExpiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, "ClaimOnce", s.ClaimOnce(ctx, "jti-1", time.Now().Add(time.Hour)))
		if err := s.ClaimOnce(ctx, "jti-1", time.Now().Add(time.Hour)); !errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("second ClaimOnce: got %v, want ErrAlreadyExists", err)
		}
		must(t, "ClaimOnce other key", s.ClaimOnce(ctx, "jti-2", time.Now().Add(time.Hour)))
	}},
	{"ExpiredClaimCanBeMadeAgain", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, "ClaimOnce", s.ClaimOnce(ctx, "jti", time.Now().Add(-time.Second)))
		if err := s.ClaimOnce(ctx, "jti", time.Now().Add(time.Hour)); err != nil {
			t.Errorf("ClaimOnce over an expired claim: got %v, want nil", err)
		}
	}},
	{"GarbageCollected", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, "ClaimOnce", s.ClaimOnce(ctx, "old", time.Now().Add(-time.Minute)))
		must(t, "ClaimOnce", s.ClaimOnce(ctx, "new", time.Now().Add(time.Hour)))
		res, err := s.GarbageCollect(ctx, time.Now())
		must(t, "GarbageCollect", err)
		if res.Claims != 1 {
			t.Errorf("GarbageCollect removed %d claims, want 1", res.Claims)
		}
		if err := s.ClaimOnce(ctx, "new", time.Now().Add(time.Hour)); !errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("live claim after GC: got %v, want ErrAlreadyExists", err)
		}
	}},
	{"ConcurrentExactlyOneWins", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		start := make(startLine)
		var wg sync.WaitGroup
		var won atomic.Int32
		for range concurrency {
			wg.Go(func() {
				start.wait()
				switch err := s.ClaimOnce(ctx, "race", time.Now().Add(time.Hour)); {
				case err == nil:
					won.Add(1)
				case !errors.Is(err, store.ErrAlreadyExists):
					t.Errorf("ClaimOnce: %v", err)
				}
			})
		}
		start.release()
		wg.Wait()
		if won.Load() != 1 {
			t.Errorf("%d of %d concurrent claims won, want exactly 1", won.Load(), concurrency)
		}
	}},
}
