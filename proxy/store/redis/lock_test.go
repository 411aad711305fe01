package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// replicas opens n stores on one prefix: as many mcpgate processes sharing
// a Redis, each with its own connection pool.
func replicas(t *testing.T, n int) []*Store {
	t.Helper()
	prefix := testPrefix(t)
	var ss []*Store
	for range n {
		s := openTest(t, prefix)
		t.Cleanup(func() { s.Close() })
		ss = append(ss, s)
	}
	return ss
}

// Updates from several replicas take turns, and each updater runs exactly
// once: the reason updates lock rather than retry.
func TestReplicasTakeTurns(t *testing.T) {
	ss := replicas(t, 3)
	ctx := t.Context()
	if err := ss[0].CreateClient(ctx, store.Client{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if err := ss[0].CreateAuthCode(ctx, store.AuthCode{Hash: "h1", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	const perReplica = 10
	var appends, redeems, winners atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range len(ss) * perReplica {
		s := ss[i%len(ss)]
		wg.Go(func() {
			<-start
			err := s.UpdateClient(ctx, "c1", func(c *store.Client) error {
				appends.Add(1)
				c.RedirectURIs = append(c.RedirectURIs, strconv.Itoa(i))
				return nil
			})
			if err != nil {
				t.Errorf("UpdateClient %d: %v", i, err)
			}
			err = s.RedeemAuthCode(ctx, "h1", func(c store.AuthCode) (*store.RefreshToken, error) {
				redeems.Add(1)
				if c.Redeemed {
					return nil, errRedeemed
				}
				return &store.RefreshToken{Hash: "rt-" + strconv.Itoa(i), FamilyID: strconv.Itoa(i), ExpiresAt: time.Now().Add(time.Hour)}, nil
			})
			switch {
			case err == nil:
				winners.Add(1)
			case err != errRedeemed:
				t.Errorf("RedeemAuthCode %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	const calls = 3 * perReplica
	if n := appends.Load(); n != calls {
		t.Errorf("%d UpdateClient calls ran the updater %d times", calls, n)
	}
	if n := redeems.Load(); n != calls {
		t.Errorf("%d RedeemAuthCode calls ran redeem %d times", calls, n)
	}
	if n := winners.Load(); n != 1 {
		t.Errorf("%d redemptions won, want 1", n)
	}
	c, err := ss[1].GetClient(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.RedirectURIs) != calls {
		t.Errorf("%d appends from %d replicas left %d entries", calls, len(ss), len(c.RedirectURIs))
	}
}

var errRedeemed = errors.New("already redeemed")

// holdLock takes a record's lock as another process would, for d.
func holdLock(t *testing.T, s *Store, tag, id string, d time.Duration) {
	t.Helper()
	if err := needRedis(t).Set(t.Context(), s.lockKey(tag, id), "someone else", d).Err(); err != nil {
		t.Fatal(err)
	}
}

// A process that died holding a lock blocks the record until the lock
// expires, no longer.
func TestDeadHolder(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	if err := s.CreateClient(ctx, store.Client{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	holdLock(t, s, clients.tag, "c1", 300*time.Millisecond)
	start := time.Now()
	calls := 0
	err := s.UpdateClient(ctx, "c1", func(c *store.Client) error { calls++; c.Name = "mine"; return nil })
	if err != nil {
		t.Fatalf("UpdateClient after the dead holder's lock expired: %v", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("UpdateClient took %v: it did not wait for the lock", d)
	}
	if calls != 1 {
		t.Errorf("updater ran %d times, want 1", calls)
	}
}

// Waiting for a lock is bounded by lockWait and by the caller's context;
// either way the updater does not run.
func TestLockWait(t *testing.T) {
	s := newTestStore(t)
	s.lockWait = 200 * time.Millisecond
	ctx := t.Context()
	if err := s.CreateClient(ctx, store.Client{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	holdLock(t, s, clients.tag, "c1", time.Minute)
	refuse := func(*store.Client) error {
		t.Error("updater ran without the lock")
		return nil
	}
	if err := s.UpdateClient(ctx, "c1", refuse); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("UpdateClient on a record locked past lockWait: got %v, want ErrUnavailable", err)
	}
	s.lockWait = time.Minute
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err := s.UpdateClient(short, "c1", refuse)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("UpdateClient past the caller's deadline: got %v, want DeadlineExceeded only", err)
	}
}

// The WATCH catches what the lock cannot: here the lock "expires" during
// the update and another replica updates the record meanwhile. The late
// update must fail without writing, and without running its updater again.
func TestLockLost(t *testing.T) {
	ss := replicas(t, 2)
	ctx := t.Context()
	if err := ss[0].CreateClient(ctx, store.Client{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	err := ss[0].UpdateClient(ctx, "c1", func(c *store.Client) error {
		calls++
		// As if the lock's TTL ran out while this replica was stalled.
		if err := needRedis(t).Del(ctx, ss[0].lockKey(clients.tag, "c1")).Err(); err != nil {
			t.Fatal(err)
		}
		if err := ss[1].UpdateClient(ctx, "c1", func(c *store.Client) error { c.Name = "other"; return nil }); err != nil {
			t.Fatalf("the other replica's update: %v", err)
		}
		c.Name = "late"
		return nil
	})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("update that lost its lock: got %v, want ErrUnavailable", err)
	}
	if calls != 1 {
		t.Errorf("updater ran %d times, want 1", calls)
	}
	if c, err := ss[0].GetClient(ctx, "c1"); err != nil || c.Name != "other" {
		t.Errorf("client after the lost update: %+v, %v; want the other replica's", c, err)
	}
}

// A revocation racing with a rotation never leaves a token of the family
// behind, whichever goes first, across replicas.
func TestRotateRevokeRace(t *testing.T) {
	ss := replicas(t, 2)
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	for i := range 30 {
		fam := fmt.Sprintf("fam-%d", i)
		cur, next := fam+"-a", fam+"-b"
		if err := ss[0].CreateRefreshToken(ctx, store.RefreshToken{Hash: cur, FamilyID: fam, ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			err := ss[0].RotateRefreshToken(ctx, cur, func(c *store.RefreshToken) (*store.RefreshToken, error) {
				c.RotatedAt = time.Now()
				return &store.RefreshToken{Hash: next, FamilyID: fam, ExpiresAt: exp}, nil
			})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("RotateRefreshToken %s: %v", cur, err)
			}
		})
		wg.Go(func() {
			if err := ss[1].RevokeGrant(ctx, store.Revocation{FamilyID: fam, RevokedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Errorf("RevokeGrant %s: %v", fam, err)
			}
		})
		wg.Wait()
		for _, h := range []string{cur, next} {
			if _, err := ss[1].GetRefreshToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("token %s of revoked family %s: got %v, want ErrNotFound", h, fam, err)
			}
		}
	}
}

// Locks are released, not left to expire.
func TestLocksReleased(t *testing.T) {
	prefix := testPrefix(t)
	s := openTest(t, prefix)
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	if err := s.CreateClient(ctx, store.Client{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	_ = s.UpdateClient(ctx, "c1", func(*store.Client) error { return nil })
	_ = s.UpdateClient(ctx, "c1", func(*store.Client) error { return errRedeemed })
	_ = s.UpdateClient(ctx, "nope", func(*store.Client) error { return nil })
	for _, k := range keysUnder(t, prefix) {
		if len(k) >= 5 && k[:5] == "lock:" {
			t.Errorf("lock %s left behind", k)
		}
	}
}

// The interleaving TestRotateRevokeRace hopes for, forced: the family is
// revoked after the rotation read the current token and before it writes.
// The rotation must write nothing, so that no successor outlives the
// revocation.
func TestRevokeDuringRotation(t *testing.T) {
	ss := replicas(t, 2)
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	if err := ss[0].CreateRefreshToken(ctx, store.RefreshToken{Hash: "a", FamilyID: "fam", ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	err := ss[0].RotateRefreshToken(ctx, "a", func(c *store.RefreshToken) (*store.RefreshToken, error) {
		if err := ss[1].RevokeGrant(ctx, store.Revocation{FamilyID: "fam", RevokedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatalf("RevokeGrant: %v", err)
		}
		c.RotatedAt = time.Now()
		return &store.RefreshToken{Hash: "b", FamilyID: "fam", ExpiresAt: exp}, nil
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rotation of a token revoked meanwhile: got %v, want ErrNotFound", err)
	}
	for _, h := range []string{"a", "b"} {
		if _, err := ss[1].GetRefreshToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token %s after revocation: got %v, want ErrNotFound", h, err)
		}
	}
}
