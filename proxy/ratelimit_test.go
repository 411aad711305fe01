package proxy

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
)

// countingStore counts Increment calls, to show that keys over their
// limit cost no store write.
type countingStore struct {
	*memory.Store
	calls int
	fail  bool
}

func (c *countingStore) Increment(ctx context.Context, key string, exp time.Time) (int64, error) {
	c.calls++
	if c.fail {
		return 0, errors.New("store down")
	}
	return c.Store.Increment(ctx, key, exp)
}

func TestWindowLimiter(t *testing.T) {
	ctx := context.Background()
	// The limiter and the store read one clock, which the test moves.
	now := time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)
	st := &countingStore{Store: memory.New(store.WithClock(func() time.Time { return now }))}
	l := newWindowLimiter("test", 2, time.Hour, st, slog.Default())
	for i, want := range []bool{true, true, false, false} {
		if got, _ := l.allow(ctx, "a", now); got != want {
			t.Fatalf("attempt %d: got %v, want %v", i+1, got, want)
		}
	}
	if st.calls != 3 {
		t.Errorf("store writes: got %d, want 3 (none once the key is known to be over)", st.calls)
	}
	if ok, retry := l.allow(ctx, "a", now); ok || retry != 30*time.Minute {
		t.Errorf("over the limit: got %v, retry after %v, want false and the rest of the window (30m)", ok, retry)
	}
	if ok, _ := l.allow(ctx, "b", now); !ok {
		t.Fatal("another key shares the limit")
	}
	now = now.Add(31 * time.Minute)
	if ok, _ := l.allow(ctx, "a", now); !ok {
		t.Fatal("the next window did not start afresh")
	}
	// Another limiter on the same store (another replica) sees the count.
	other := newWindowLimiter("test", 2, time.Hour, st, slog.Default())
	if ok, _ := other.allow(ctx, "c", now); !ok {
		t.Fatal("first event of c refused")
	}
	if ok, _ := l.allow(ctx, "c", now); !ok {
		t.Fatal("second event of c refused")
	}
	if ok, _ := other.allow(ctx, "c", now); ok {
		t.Fatal("the limit did not hold across limiters sharing a store")
	}
	if ok, _ := newWindowLimiter("test", 0, time.Hour, st, slog.Default()).allow(ctx, "a", now); !ok {
		t.Fatal("0 must mean unlimited")
	}
	st.fail = true
	if ok, _ := newWindowLimiter("down", 1, time.Hour, st, slog.Default()).allow(ctx, "a", now); !ok {
		t.Fatal("a store that cannot count must not refuse")
	}
}
