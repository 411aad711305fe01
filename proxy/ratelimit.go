package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Counter counts events in the store, so that a limit holds across every
// replica sharing it (store.Store's Increment).
type Counter interface {
	Increment(ctx context.Context, key string, expiresAt time.Time) (int64, error)
}

// windowLimiter allows each key (an address, or an IPv6 /64) limit events
// per window, counted in the shared store in fixed windows. A key found
// over its limit is remembered here until its window ends, so that a
// flood costs the store one write per request only until the limit is
// reached.
type windowLimiter struct {
	name   string
	limit  int64
	window time.Duration
	count  Counter
	log    *slog.Logger

	mu   sync.Mutex
	over map[string]time.Time // key → end of the window it is over in
}

func newWindowLimiter(name string, limit int, window time.Duration, count Counter, log *slog.Logger) *windowLimiter {
	return &windowLimiter{name: name, limit: int64(limit), window: window, count: count, log: log, over: map[string]time.Time{}}
}

// maxOverKeys bounds the memory of keys over their limit; forgetting one
// only costs a store write.
const maxOverKeys = 10_000

// allow records an event for key and reports whether it is within the
// limit, and if not, how long until the window ends. A store that cannot
// count lets the event through: the request will meet the same store
// right after and fail there if it is down.
func (l *windowLimiter) allow(ctx context.Context, key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.limit <= 0 || l.count == nil {
		return true, 0
	}
	start := now.Truncate(l.window)
	end := start.Add(l.window)
	l.mu.Lock()
	if until, ok := l.over[key]; ok && now.Before(until) {
		l.mu.Unlock()
		return false, until.Sub(now)
	}
	l.mu.Unlock()
	n, err := l.count.Increment(ctx, fmt.Sprintf("limit:%s:%s:%d", l.name, key, start.Unix()), end)
	if err != nil {
		l.log.WarnContext(ctx, "rate limit not counted", "limit", l.name, "err", err)
		return true, 0
	}
	if n <= l.limit {
		return true, 0
	}
	l.mu.Lock()
	if len(l.over) >= maxOverKeys {
		for k, until := range l.over {
			if !now.Before(until) || len(l.over) >= maxOverKeys {
				delete(l.over, k)
			}
		}
	}
	l.over[key] = end
	l.mu.Unlock()
	return false, end.Sub(now)
}
