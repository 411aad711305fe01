package revocation

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
)

func TestList(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := memory.New(store.WithClock(clock))
	l := New(st, time.Second, nil)
	l.Now = clock
	ctx := t.Context()

	if l.Revoked("fam-a") || l.Revoked("") {
		t.Fatal("an empty list revokes something")
	}
	// Another replica's revocation, seen at the next poll.
	if err := st.RevokeGrant(ctx, store.Revocation{FamilyID: "fam-a", RevokedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if l.Revoked("fam-a") {
		t.Fatal("revoked before any poll")
	}
	if err := l.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if !l.Revoked("fam-a") {
		t.Fatal("a stored revocation was not picked up")
	}
	// This replica's own revocation counts at once.
	l.Add(store.Revocation{FamilyID: "fam-b", RevokedAt: now, ExpiresAt: now.Add(time.Minute)})
	if !l.Revoked("fam-b") {
		t.Fatal("a local revocation did not count at once")
	}
	// Entries end with their record.
	now = now.Add(2 * time.Minute)
	if l.Revoked("fam-b") {
		t.Error("an expired revocation still counts")
	}
	if !l.Revoked("fam-a") {
		t.Error("a live revocation was dropped")
	}
	if l.Revoked("fam-c") {
		t.Error("an unknown grant counts as revoked")
	}
}

// The poll after the first looks back Overlap before the last one started,
// so that revocations committed late or by a slow clock are not missed.
func TestPollOverlap(t *testing.T) {
	st := memory.New()
	l := New(st, time.Second, nil)
	ctx := t.Context()
	if err := l.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	late := time.Now().Add(-30 * time.Second) // a replica half a minute behind
	if err := st.RevokeGrant(ctx, store.Revocation{FamilyID: "late", RevokedAt: late, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if !l.Revoked("late") {
		t.Error("a revocation stamped before the last poll was missed")
	}
}
