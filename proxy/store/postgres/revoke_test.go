package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// TestRevokeDuringRotation revokes a family while a rotation of one of its
// tokens is between its read and its commit. Under READ COMMITTED a single
// DELETE waits for the rotation, deletes the rotated token, but cannot see
// the successor the rotation inserted: the family would live on through
// it. The revocation must get it too.
func TestRevokeDuringRotation(t *testing.T) {
	schema, url := freshSchema(t)
	s := open(t, url)
	defer s.Close()
	ctx := t.Context()
	tok := func(hash string) store.RefreshToken {
		return store.RefreshToken{Hash: hash, FamilyID: "fam", ClientID: "c1", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	}
	if err := s.CreateRefreshToken(ctx, tok("h0")); err != nil {
		t.Fatal(err)
	}

	inRotate, release := make(chan struct{}), make(chan struct{})
	rotated := make(chan error, 1)
	go func() {
		rotated <- s.RotateRefreshToken(ctx, "h0", func(cur *store.RefreshToken) (*store.RefreshToken, error) {
			close(inRotate)
			<-release
			cur.RotatedAt = time.Now()
			succ := tok("h1")
			return &succ, nil
		})
	}()
	<-inRotate // the rotation holds h0's row lock now

	revoked := make(chan error, 1)
	go func() { revoked <- s.RevokeRefreshFamily(ctx, "fam") }()
	// Let the rotation go on only once the revocation waits for its lock,
	// which is when the revocation's snapshot no longer shows what the
	// rotation will commit.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if count(t, "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", schema) > 0 {
			break
		}
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the revocation never waited for the rotation's lock")
		}
	}
	close(release)
	if err := <-rotated; err != nil {
		t.Fatalf("RotateRefreshToken: %v", err)
	}
	if err := <-revoked; err != nil {
		t.Fatalf("RevokeRefreshFamily: %v", err)
	}
	for _, h := range []string{"h0", "h1"} {
		if _, err := s.GetRefreshToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetRefreshToken(%s) after the family was revoked: got %v, want ErrNotFound", h, err)
		}
	}
}
