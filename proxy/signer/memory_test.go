package signer_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/signer"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
)

// The fake store above lets tests count and stall store calls; this runs the
// main lifecycle against the real in-memory backend to catch any mismatch in
// store semantics.
func TestWithMemoryStore(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	clk := newClock()
	clk.Set(time.Now().Truncate(time.Second))
	opts := testOptions(clk)

	m1 := mustNew(t, st, opts)
	tokBefore := mustSign(t, m1)
	oldKID := kidOf(t, tokBefore)
	m2 := mustNew(t, st, opts) // restart / second replica
	if got := kidOf(t, mustSign(t, m2)); got != oldKID {
		t.Fatalf("second manager kid: got %s, want %s", got, oldKID)
	}

	if err := m1.Rotate(ctx); err != nil {
		t.Fatalf("Rotate: got error %v, want nil", err)
	}
	recs, err := st.ListSigningKeys(ctx)
	if err != nil || len(recs) != 2 {
		t.Fatalf("ListSigningKeys: got %d keys, %v; want 2, nil", len(recs), err)
	}
	newKID := recs[1].ID
	if newKID == oldKID {
		newKID = recs[0].ID
	}
	if err := m2.Reload(ctx); err != nil {
		t.Fatalf("Reload: got error %v, want nil", err)
	}

	steps := []struct {
		name          string
		advance       time.Duration
		wantSignKID   string
		wantPublished []string
		wantOldOK     bool
	}{
		{"published, not signing", 0, oldKID, sorted(oldKID, newKID), true},
		{"signing after the publish delay", time.Minute, newKID, sorted(oldKID, newKID), true},
		{"old key gone after expiry", time.Hour + time.Minute, newKID, []string{newKID}, false},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			clk.Advance(step.advance)
			for i, m := range []*signer.Manager{m1, m2} {
				if got := kidOf(t, mustSign(t, m)); got != step.wantSignKID {
					t.Errorf("replica %d signing kid: got %s, want %s", i, got, step.wantSignKID)
				}
				if got := kids(t, m); !slices.Equal(got, step.wantPublished) {
					t.Errorf("replica %d JWKS kids: got %v, want %v", i, got, step.wantPublished)
				}
				if _, err := m.Verify(tokBefore, "at+jwt"); (err == nil) != step.wantOldOK {
					t.Errorf("replica %d Verify pre-rotation token: got error %v, want success %v", i, err, step.wantOldOK)
				}
			}
		})
	}

	t.Run("store GC drops the expired key", func(t *testing.T) {
		res, err := st.GarbageCollect(ctx, clk.Now().Add(time.Second))
		if err != nil || res.SigningKeys != 1 {
			t.Fatalf("GarbageCollect: got %d keys removed, %v; want 1, nil", res.SigningKeys, err)
		}
	})

	t.Run("store down: cache keeps serving, Reload reports it", func(t *testing.T) {
		tok := mustSign(t, m1)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if err := m2.Reload(ctx); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Reload: got %v, want ErrUnavailable", err)
		}
		if _, err := m2.Verify(tok, "at+jwt"); err != nil {
			t.Errorf("Verify: got %v, want nil", err)
		}
		if got := kidOf(t, mustSign(t, m2)); got != newKID {
			t.Errorf("signing kid: got %s, want %s", got, newKID)
		}
	})
}
