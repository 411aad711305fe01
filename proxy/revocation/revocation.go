// Package revocation keeps, in each replica's memory, the grants revoked
// while their access tokens may still be valid, so that the MCP endpoint
// refuses a revoked grant's token without a store read per request: the
// replica that revokes knows at once, the others when they next poll the
// store.
package revocation

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// List is the set of revoked grants. Revoked is safe for concurrent use
// and costs one atomic load and one map lookup.
type List struct {
	store    store.Store
	interval time.Duration
	log      *slog.Logger
	// Now is the clock; tests replace it before use.
	Now func() time.Time

	// revoked maps family IDs to when their record expires (unix ms). It
	// is replaced, never changed: readers need no lock.
	revoked atomic.Pointer[map[string]int64]
	mu      sync.Mutex // serializes writers of revoked, and since
	since   time.Time  // where the next poll starts
	polled  atomic.Int64
}

// Overlap is how far back each poll looks beyond the last one, so that a
// revocation written by a replica whose clock runs behind, or committed
// after a poll that started before it, is still seen.
const Overlap = time.Minute

// New returns an empty List polling st every interval.
func New(st store.Store, interval time.Duration, log *slog.Logger) *List {
	if log == nil {
		log = slog.Default()
	}
	l := &List{store: st, interval: interval, log: log, Now: time.Now}
	empty := map[string]int64{}
	l.revoked.Store(&empty)
	return l
}

// Revoked reports whether the grant familyID has been revoked.
func (l *List) Revoked(familyID string) bool {
	if familyID == "" {
		return false
	}
	exp, ok := (*l.revoked.Load())[familyID]
	return ok && l.Now().UnixMilli() <= exp
}

// Add records a revocation this replica made.
func (l *List) Add(r store.Revocation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.merge([]store.Revocation{r})
}

// merge makes the new map: the current entries still live, and rs. l.mu
// must be held.
func (l *List) merge(rs []store.Revocation) {
	now := l.Now().UnixMilli()
	cur := *l.revoked.Load()
	next := make(map[string]int64, len(cur)+len(rs))
	for id, exp := range cur {
		if exp >= now {
			next[id] = exp
		}
	}
	for _, r := range rs {
		if exp := r.ExpiresAt.UnixMilli(); exp >= now && exp > next[r.FamilyID] {
			next[r.FamilyID] = exp
		}
	}
	l.revoked.Store(&next)
}

// Refresh reads the revocations made since the last poll (all live ones
// the first time).
func (l *List) Refresh(ctx context.Context) error {
	l.mu.Lock()
	since := l.since
	l.mu.Unlock()
	start := l.Now()
	rs, err := l.store.Revocations(ctx, since)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.merge(rs)
	if next := start.Add(-Overlap); next.After(l.since) {
		l.since = next
	}
	l.polled.Store(start.UnixMilli())
	return nil
}

// LastPoll is when the last successful poll started.
func (l *List) LastPoll() time.Time { return time.UnixMilli(l.polled.Load()) }

// Run polls until ctx ends. A failed poll is logged and retried at the
// next tick; what it missed comes with the next one that succeeds.
func (l *List) Run(ctx context.Context) {
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Refresh(ctx); err != nil && ctx.Err() == nil {
				l.log.WarnContext(ctx, "revocation poll failed; revoked grants reach this replica once the store answers again", "err", err)
			}
		}
	}
}
