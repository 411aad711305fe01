package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// Clock is a settable clock for a store under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at the real time, millisecond-aligned.
func NewClock() *Clock { return &Clock{t: time.Now().UTC().Truncate(time.Millisecond)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// RunClock checks that a backend judges expiry by the clock it was given
// (store.WithClock), so that the authorization server's expiry, grace and
// replay rules can be tested without sleeping. newStore returns a fresh
// store on the clock now.
func RunClock(t *testing.T, newStore func(t *testing.T, now func() time.Time) store.Store) {
	t.Helper()
	t.Run("Clock", func(t *testing.T) {
		clock := NewClock()
		s := newStore(t, clock.Now)
		t.Cleanup(func() { s.Close() })
		ctx := t.Context()
		soon := clock.Now().Add(time.Minute)

		code := authCode("h-clock")
		code.ExpiresAt = soon
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, code))
		rt := refreshToken("rt-clock", "fam-clock")
		rt.ExpiresAt = soon
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, rt))
		if _, err := s.Increment(ctx, "k", soon); err != nil {
			t.Fatal(err)
		}
		must(t, "RevokeGrant", s.RevokeGrant(ctx, store.Revocation{FamilyID: "other", RevokedAt: clock.Now(), ExpiresAt: soon}))
		if _, err := readCode(t, s, "h-clock"); err != nil {
			t.Fatalf("code before its expiry: %v", err)
		}

		clock.Advance(2 * time.Minute) // real time has hardly moved
		if _, err := readCode(t, s, "h-clock"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("code past its expiry on the store's clock: got %v, want ErrNotFound", err)
		}
		if _, err := s.GetRefreshToken(ctx, "rt-clock"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refresh token past its expiry: got %v, want ErrNotFound", err)
		}
		if n, err := s.Increment(ctx, "k", clock.Now().Add(time.Minute)); err != nil || n != 1 {
			t.Errorf("counter past its expiry: got %d, %v; want it to start again at 1", n, err)
		}
		if rs, err := s.Revocations(ctx, time.Time{}); err != nil || len(rs) != 0 {
			t.Errorf("revocations past their expiry: got %v, %v; want none", rs, err)
		}
	})
}
