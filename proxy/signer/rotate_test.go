package signer_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpgate/mcpgate/proxy/signer"
	"github.com/mcpgate/mcpgate/proxy/store"
)

func TestRotateLifecycle(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	opts := testOptions(clk) // PublishDelay defaults to 2 × 30s
	m := mustNew(t, st, opts)
	t0 := clk.Now()

	tokBefore := mustSign(t, m)
	oldKID := kidOf(t, tokBefore)
	if err := m.Rotate(context.Background()); err != nil {
		t.Fatalf("Rotate: got error %v, want nil", err)
	}
	var newKID string
	for _, k := range st.all() {
		if k.ID != oldKID {
			newKID = k.ID
		}
	}
	if newKID == "" {
		t.Fatalf("Rotate: got no new key in the store, want one")
	}

	activeAt := t0.Add(time.Minute)
	expiresAt := activeAt.Add(time.Hour + time.Minute)
	t.Run("store records", func(t *testing.T) {
		oldRec, newRec := st.get(t, oldKID), st.get(t, newKID)
		tests := []struct {
			name      string
			got, want time.Time
		}{
			{"new ActiveAt = now + PublishDelay", newRec.ActiveAt, activeAt},
			{"new RetiredAt zero", newRec.RetiredAt, time.Time{}},
			{"old RetiredAt = new ActiveAt", oldRec.RetiredAt, activeAt},
			{"old ExpiresAt = RetiredAt + TokenLifetime + 1m", oldRec.ExpiresAt, expiresAt},
		}
		for _, tt := range tests {
			if !tt.got.Equal(tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
			}
		}
	})

	// Steps run in order against one clock.
	steps := []struct {
		name            string
		at              time.Time
		wantSignKID     string
		wantPublished   []string
		wantOldVerifies bool
	}{
		{"right after rotation: new key published, old key signs", t0, oldKID, sorted(oldKID, newKID), true},
		{"just before activation", activeAt.Add(-time.Nanosecond), oldKID, sorted(oldKID, newKID), true},
		{"at activation: new key signs", activeAt, newKID, sorted(oldKID, newKID), true},
		{"retired key still published until expiry", expiresAt.Add(-time.Nanosecond), newKID, sorted(oldKID, newKID), true},
		{"retired key gone at expiry", expiresAt, newKID, []string{newKID}, false},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			clk.Set(step.at)
			tok := mustSign(t, m)
			if got := kidOf(t, tok); got != step.wantSignKID {
				t.Errorf("signing kid: got %s, want %s", got, step.wantSignKID)
			}
			if _, err := m.Verify(tok, "at+jwt"); err != nil {
				t.Errorf("Verify fresh token: got %v, want nil", err)
			}
			if got := kids(t, m); !slices.Equal(got, step.wantPublished) {
				t.Errorf("JWKS kids: got %v, want %v", got, step.wantPublished)
			}
			_, err := m.Verify(tokBefore, "at+jwt")
			if gotOK := err == nil; gotOK != step.wantOldVerifies {
				t.Errorf("Verify pre-rotation token: got error %v, want success %v", err, step.wantOldVerifies)
			}
			if _, ok := m.PublicKey(oldKID); ok != step.wantOldVerifies {
				t.Errorf("PublicKey(old): got %v, want %v", ok, step.wantOldVerifies)
			}
		})
	}

	t.Run("store GC removes the expired key", func(t *testing.T) {
		res, err := st.GarbageCollect(context.Background(), clk.Now().Add(time.Nanosecond))
		if err != nil {
			t.Fatal(err)
		}
		if res.SigningKeys != 1 {
			t.Errorf("GC removed: got %d, want 1", res.SigningKeys)
		}
		if err := m.Reload(context.Background()); err != nil {
			t.Fatalf("Reload: %v", err)
		}
		if got := kids(t, m); !slices.Equal(got, []string{newKID}) {
			t.Errorf("JWKS kids: got %v, want [%s]", got, newKID)
		}
	})
}

func TestRotateDoesNotExtendEarlierRetirement(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	m := mustNew(t, st, testOptions(clk))
	first := kids(t, m)[0]

	if err := m.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	firstRetired := st.get(t, first).RetiredAt
	clk.Advance(10 * time.Second) // second rotation before the first successor signs
	if err := m.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}

	recs := st.all()
	if len(recs) != 3 {
		t.Fatalf("stored keys: got %d, want 3", len(recs))
	}
	tests := []struct {
		name        string
		rec         store.SigningKey
		wantRetired time.Time
	}{
		{"first key keeps its earlier retirement", recs[0], firstRetired},
		{"second key retires when the third signs", recs[1], recs[2].ActiveAt},
		{"third key signs on", recs[2], time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.rec.RetiredAt.Equal(tt.wantRetired) {
				t.Errorf("RetiredAt: got %v, want %v", tt.rec.RetiredAt, tt.wantRetired)
			}
		})
	}
	// No gap: at any instant exactly the newest active key signs.
	for _, at := range []time.Time{firstRetired.Add(-time.Nanosecond), firstRetired, recs[2].ActiveAt} {
		clk.Set(at)
		if _, err := m.Sign(context.Background(), "at+jwt", testClaims); err != nil {
			t.Errorf("Sign at %v: got %v, want nil", at, err)
		}
	}
}

func TestSecondReplicaPicksUpRotation(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	m1 := mustNew(t, st, testOptions(clk))
	m2 := mustNew(t, st, testOptions(clk))
	oldKID := kids(t, m1)[0]

	if err := m1.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	newKID := kids(t, m1)[1]
	if newKID == oldKID {
		newKID = kids(t, m1)[0]
	}

	steps := []struct {
		name          string
		reload        bool
		advance       time.Duration
		wantPublished []string
		wantSignKID   string
	}{
		{"before reload: replica 2 does not know yet", false, 0, []string{oldKID}, oldKID},
		{"after reload: published, not signing yet", true, 0, sorted(oldKID, newKID), oldKID},
		{"after activation: signs with new key without reload", false, time.Minute, sorted(oldKID, newKID), newKID},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.reload {
				if err := m2.Reload(context.Background()); err != nil {
					t.Fatalf("Reload: %v", err)
				}
			}
			clk.Advance(step.advance)
			before := st.lists.Load()
			tok := mustSign(t, m2)
			if got := kidOf(t, tok); got != step.wantSignKID {
				t.Errorf("signing kid: got %s, want %s", got, step.wantSignKID)
			}
			if got := st.lists.Load() - before; got != 0 {
				t.Errorf("store listings during Sign: got %d, want 0", got)
			}
			if got := kids(t, m2); !slices.Equal(got, step.wantPublished) {
				t.Errorf("JWKS kids: got %v, want %v", got, step.wantPublished)
			}
			if _, err := m1.Verify(tok, "at+jwt"); err != nil {
				t.Errorf("Verify on replica 1: got %v, want nil", err)
			}
		})
	}
}

// When the cached signing key retires by the clock and the cache does not
// know its successor, Sign reloads instead of failing.
func TestSignReloadsWhenKeyRetiresByClock(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	opts := testOptions(clk)
	m1 := mustNew(t, st, opts)
	m2 := mustNew(t, st, opts)
	oldKID := kids(t, m1)[0]

	// Replica 2 learns that the old key retires in 10s, but not yet of the
	// successor (as if it reloaded between two writes of another replica).
	retireAt := clk.Now().Add(10 * time.Second)
	err := st.UpdateSigningKey(context.Background(), oldKID, func(k *store.SigningKey) error {
		k.RetiredAt, k.ExpiresAt = retireAt, retireAt.Add(2*time.Hour)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	opts.PublishDelay = -1 // successor signs at once
	m1 = mustNew(t, st, opts)
	if err := m1.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	newKID := kidOf(t, mustSign(t, m1))

	tests := []struct {
		name        string
		at          time.Time
		wantSignKID string
		wantLists   int64
	}{
		{"before retirement: cached key, no store access", retireAt.Add(-time.Second), oldKID, 0},
		{"after retirement: one reload, successor signs", retireAt, newKID, 1},
		{"afterwards: cached successor, no store access", retireAt.Add(time.Second), newKID, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(tt.at)
			before := st.lists.Load()
			if got := kidOf(t, mustSign(t, m2)); got != tt.wantSignKID {
				t.Errorf("signing kid: got %s, want %s", got, tt.wantSignKID)
			}
			if got := st.lists.Load() - before; got != tt.wantLists {
				t.Errorf("store listings: got %d, want %d", got, tt.wantLists)
			}
		})
	}
}

func TestRunRotates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newFakeStore(time.Now)
		opts := signer.Options{
			TokenLifetime:   time.Hour,
			RotationPeriod:  24 * time.Hour,
			RefreshInterval: 30 * time.Second,
			Logger:          discard,
		}
		// Two replicas share the store; only one of them should rotate.
		ms := []*signer.Manager{mustNew(t, st, opts), mustNew(t, st, opts)}
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{}, len(ms))
		for _, m := range ms {
			go func() { m.Run(ctx); done <- struct{}{} }()
		}

		steps := []struct {
			name     string
			until    time.Duration
			wantKeys int
		}{
			{"before the period", 24*time.Hour - time.Minute, 1},
			{"after the period: one rotation", 24*time.Hour + 2*time.Minute, 2},
			{"second period", 48*time.Hour + 4*time.Minute, 3},
		}
		for _, step := range steps {
			time.Sleep(time.Until(start.Add(step.until)))
			synctest.Wait()
			if got := len(st.all()); got != step.wantKeys {
				t.Errorf("%s: stored keys: got %d, want %d", step.name, got, step.wantKeys)
			}
		}

		// Replicas converged on the newest key and verify each other.
		tok0, tok1 := mustSign(t, ms[0]), mustSign(t, ms[1])
		if k0, k1 := kidOf(t, tok0), kidOf(t, tok1); k0 != k1 {
			t.Errorf("signing kids: got %s and %s, want equal", k0, k1)
		}
		if _, err := ms[1].Verify(tok0, "at+jwt"); err != nil {
			t.Errorf("cross-replica Verify: got %v, want nil", err)
		}

		cancel()
		for range ms {
			<-done
		}
	})
}

func TestRunSurvivesStoreErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &failingStore{fakeStore: newFakeStore(time.Now)}
		m := mustNew(t, st, signer.Options{TokenLifetime: time.Hour, Logger: discard})
		tok := mustSign(t, m)
		st.fail = true
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		// The cache keeps serving while the store is down.
		if _, err := m.Verify(mustSign(t, m), "at+jwt"); err != nil {
			t.Errorf("Verify during outage: got %v, want nil", err)
		}
		if _, err := m.Verify(tok, "at+jwt"); err != nil {
			t.Errorf("Verify old token during outage: got %v, want nil", err)
		}
		if got := len(kids(t, m)); got != 1 {
			t.Errorf("JWKS during outage: got %d keys, want 1", got)
		}
		cancel()
		<-done
	})
}

type failingStore struct {
	*fakeStore
	fail bool
}

func (s *failingStore) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	if s.fail {
		return nil, errors.Join(store.ErrUnavailable, errors.New("connection refused"))
	}
	return s.fakeStore.ListSigningKeys(ctx)
}
