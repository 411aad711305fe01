package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// TestRevokeDuringRotation revokes a family while a rotation of one of its
// tokens is between its read and its write. The rotation holds no lock
// meanwhile (it writes with one conditional statement), so the revocation
// goes through at once; the rotation's write then finds its token gone and
// fails, and no token of the family survives. The race inside the write
// statement itself (a DELETE that cannot see the successor a concurrent
// rotation inserts) is what RevokeGrant's repeated DELETE covers, which
// storetest's RevokeDuringRotations exercises.
func TestRevokeDuringRotation(t *testing.T) {
	_, url := freshSchema(t)
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
		first := true
		rotated <- s.RotateRefreshToken(ctx, "h0", func(cur *store.RefreshToken) (*store.RefreshToken, error) {
			if first {
				first = false
				close(inRotate)
				<-release
			}
			cur.RotatedAt = time.Now()
			succ := tok("h1")
			return &succ, nil
		})
	}()
	<-inRotate
	if err := s.RevokeGrant(ctx, store.Revocation{FamilyID: "fam", RevokedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatalf("RevokeGrant: %v", err)
	}
	close(release)
	if err := <-rotated; !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RotateRefreshToken of a token revoked under it: got %v, want ErrNotFound", err)
	}
	for _, h := range []string{"h0", "h1"} {
		if _, err := s.GetRefreshToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetRefreshToken(%s) after the family was revoked: got %v, want ErrNotFound", h, err)
		}
	}
}
