package storetest

import (
	"errors"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

func familiesOf(rs []store.Revocation) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.FamilyID)
	}
	sort.Strings(out)
	return out
}

var revocationTests = []test{
	{"RevokeDuringRotations", revokeDuringRotations},
	{"RecordedAndListed", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		before := time.Now().UTC().Add(-time.Second).Truncate(time.Millisecond)
		r := revocation("famA", future)
		must(t, "RevokeGrant", s.RevokeGrant(ctx, r))
		got, err := s.Revocations(ctx, before)
		must(t, "Revocations", err)
		wantEqual(t, "Revocations", got, []store.Revocation{r})
		// since is inclusive, and later than every revocation lists none.
		got, err = s.Revocations(ctx, r.RevokedAt)
		must(t, "Revocations at RevokedAt", err)
		wantEqual(t, "Revocations since RevokedAt", familiesOf(got), []string{"famA"})
		got, err = s.Revocations(ctx, r.RevokedAt.Add(time.Millisecond))
		must(t, "Revocations after", err)
		if len(got) != 0 {
			t.Errorf("Revocations after the last: got %v, want none", got)
		}
	}},
	{"SinceFilters", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		old := store.Revocation{FamilyID: "old", RevokedAt: t0, ExpiresAt: future}
		recent := revocation("recent", future)
		must(t, "RevokeGrant old", s.RevokeGrant(ctx, old))
		must(t, "RevokeGrant recent", s.RevokeGrant(ctx, recent))
		got, err := s.Revocations(ctx, t0.Add(time.Millisecond))
		must(t, "Revocations", err)
		wantEqual(t, "since after old", familiesOf(got), []string{"recent"})
		got, err = s.Revocations(ctx, time.Time{})
		must(t, "Revocations since zero", err)
		wantEqual(t, "since the zero time", familiesOf(got), []string{"old", "recent"})
	}},
	{"ExpiredNotListed", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, "RevokeGrant", s.RevokeGrant(ctx, revocation("gone", past)))
		must(t, "RevokeGrant zero expiry", s.RevokeGrant(ctx, store.Revocation{FamilyID: "zero", RevokedAt: t0}))
		got, err := s.Revocations(ctx, time.Time{})
		must(t, "Revocations", err)
		if len(got) != 0 {
			t.Errorf("Revocations: got %v, want none (expired)", got)
		}
		res, err := s.GarbageCollect(ctx, time.Now())
		must(t, "GarbageCollect", err)
		if res.Revocations != 2 {
			t.Errorf("GarbageCollect removed %d revocations, want 2", res.Revocations)
		}
	}},
	{"RevokedTwice", func(t *testing.T, s store.Store) {
		// One record per family, kept as long as the longest revocation.
		ctx := t.Context()
		short := revocation("fam", future.Add(-time.Hour))
		long := revocation("fam", future)
		must(t, "RevokeGrant long", s.RevokeGrant(ctx, long))
		must(t, "RevokeGrant short", s.RevokeGrant(ctx, short))
		got, err := s.Revocations(ctx, time.Time{})
		must(t, "Revocations", err)
		if len(got) != 1 || !got[0].ExpiresAt.Equal(future) {
			t.Errorf("Revocations: got %+v, want one record until %v", got, future)
		}
	}},
	{"Concurrent", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		start := make(startLine)
		var wg sync.WaitGroup
		var want []string
		for i := range concurrency {
			fam := "fam-" + strconv.Itoa(i)
			want = append(want, fam)
			must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, refreshToken("h-"+fam, fam)))
			wg.Go(func() {
				start.wait()
				if err := s.RevokeGrant(ctx, revocation(fam, future)); err != nil {
					t.Errorf("RevokeGrant %s: %v", fam, err)
				}
			})
		}
		start.release()
		wg.Wait()
		got, err := s.Revocations(ctx, time.Time{})
		must(t, "Revocations", err)
		sort.Strings(want)
		if fams := familiesOf(got); !slices.Equal(fams, want) {
			t.Errorf("Revocations: got %v, want %v", fams, want)
		}
		for _, fam := range want {
			wantNoToken(t, s, "h-"+fam)
		}
	}},
}

var counterTests = []test{
	{"Counts", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		for want := int64(1); want <= 3; want++ {
			n, err := s.Increment(ctx, "k", future)
			must(t, "Increment", err)
			if n != want {
				t.Errorf("Increment %d: got %d", want, n)
			}
		}
		n, err := s.Increment(ctx, "other", future)
		must(t, "Increment other", err)
		if n != 1 {
			t.Errorf("another key: got %d, want 1", n)
		}
	}},
	{"ExpiredRestarts", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		for range 3 {
			if _, err := s.Increment(ctx, "k", time.Now().Add(50*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(60 * time.Millisecond)
		n, err := s.Increment(ctx, "k", future)
		must(t, "Increment after expiry", err)
		if n != 1 {
			t.Errorf("after expiry: got %d, want 1", n)
		}
	}},
	{"ExpiryNotExtended", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		if _, err := s.Increment(ctx, "k", time.Now().Add(50*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Increment(ctx, "k", future); err != nil {
			t.Fatal(err)
		}
		time.Sleep(60 * time.Millisecond)
		res, err := s.GarbageCollect(ctx, time.Now())
		must(t, "GarbageCollect", err)
		if res.Counters != 1 {
			t.Errorf("GarbageCollect removed %d counters, want 1: the first expiry stands", res.Counters)
		}
	}},
	{"Concurrent", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		start := make(startLine)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var got []int64
		for range concurrency {
			wg.Go(func() {
				start.wait()
				n, err := s.Increment(ctx, "k", future)
				if err != nil {
					t.Errorf("Increment: %v", err)
					return
				}
				mu.Lock()
				got = append(got, n)
				mu.Unlock()
			})
		}
		start.release()
		wg.Wait()
		slices.Sort(got)
		for i, n := range got {
			if n != int64(i+1) {
				t.Fatalf("concurrent increments returned %v, want 1..%d once each", got, concurrency)
			}
		}
	}},
}

// revokeDuringRotations races a chain of rotations in one family against
// its revocation, many times: whichever lands first, no token of the
// family may be found afterwards, and none may be rotated.
func revokeDuringRotations(t *testing.T, s store.Store) {
	ctx := t.Context()
	for round := range 30 {
		fam := "fam-" + strconv.Itoa(round)
		head := fam + "-0"
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, refreshToken(head, fam)))
		start := make(startLine)
		var wg sync.WaitGroup
		wg.Go(func() {
			start.wait()
			cur := head
			for i := 1; i <= 20; i++ {
				next := fam + "-" + strconv.Itoa(i)
				err := s.RotateRefreshToken(ctx, cur, rotateTo(next, t0))
				if errors.Is(err, store.ErrNotFound) {
					return // revoked under the chain
				}
				if err != nil {
					t.Errorf("RotateRefreshToken %s: %v", cur, err)
					return
				}
				cur = next
			}
		})
		wg.Go(func() {
			start.wait()
			time.Sleep(time.Duration(round%5) * time.Millisecond)
			if err := s.RevokeGrant(ctx, revocation(fam, future)); err != nil {
				t.Errorf("RevokeGrant: %v", err)
			}
		})
		start.release()
		wg.Wait()
		for i := 0; i <= 20; i++ {
			wantNoToken(t, s, fam+"-"+strconv.Itoa(i))
		}
	}
}
