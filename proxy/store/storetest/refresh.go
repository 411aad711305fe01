package storetest

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// rotateTo is the rotation the authorization server does: refuse a token
// that was already rotated, otherwise mark it and issue next in its family.
func rotateTo(next string, at time.Time) func(*store.RefreshToken) (*store.RefreshToken, error) {
	return func(cur *store.RefreshToken) (*store.RefreshToken, error) {
		if !cur.RotatedAt.IsZero() {
			return nil, errUpdater
		}
		cur.RotatedAt = at
		succ := refreshToken(next, cur.FamilyID)
		succ.CreatedAt = at
		succ.Identity = cur.Identity
		return &succ, nil
	}
}

func wantNoToken(t *testing.T, s store.Store, hash string) {
	t.Helper()
	_, err := s.GetRefreshToken(t.Context(), hash)
	wantErr(t, "GetRefreshToken "+hash, err, store.ErrNotFound)
}

var refreshTests = []test{
	{"CreateGet", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		rt := refreshToken("h1", "fam")
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, rt))
		got, err := s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken", err)
		wantEqual(t, "GetRefreshToken", got, rt)
	}},
	{"CreateDuplicate", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		rt := refreshToken("h1", "fam")
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, rt))
		wantErr(t, "CreateRefreshToken again", s.CreateRefreshToken(ctx, refreshToken("h1", "other")), store.ErrAlreadyExists)
		got, err := s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken", err)
		wantEqual(t, "GetRefreshToken after duplicate", got, rt)
	}},
	{"Missing", func(t *testing.T, s store.Store) {
		wantNoToken(t, s, "nope")
		err := s.RotateRefreshToken(t.Context(), "nope", func(*store.RefreshToken) (*store.RefreshToken, error) {
			t.Error("rotate called for a missing token")
			return nil, nil
		})
		wantErr(t, "RotateRefreshToken", err, store.ErrNotFound)
	}},
	{"Expiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expired := refreshToken("old", "fam")
		expired.ExpiresAt = past
		noExpiry := refreshToken("zero", "fam")
		noExpiry.ExpiresAt = time.Time{}
		for _, rt := range []store.RefreshToken{expired, noExpiry} {
			must(t, "CreateRefreshToken "+rt.Hash, s.CreateRefreshToken(ctx, rt))
			wantNoToken(t, s, rt.Hash)
			err := s.RotateRefreshToken(ctx, rt.Hash, func(*store.RefreshToken) (*store.RefreshToken, error) {
				t.Errorf("rotate called for expired token %s", rt.Hash)
				return nil, nil
			})
			wantErr(t, "RotateRefreshToken "+rt.Hash, err, store.ErrNotFound)
		}
		fresh := refreshToken("old", "fam2")
		must(t, "CreateRefreshToken over expired", s.CreateRefreshToken(ctx, fresh))
		got, err := s.GetRefreshToken(ctx, "old")
		must(t, "GetRefreshToken replaced", err)
		wantEqual(t, "GetRefreshToken replaced", got, fresh)
	}},
	{"Rotate", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		cur := refreshToken("h1", "fam")
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, cur))
		at := t0.Add(time.Hour)
		var succ *store.RefreshToken
		err := s.RotateRefreshToken(ctx, "h1", func(c *store.RefreshToken) (*store.RefreshToken, error) {
			wantEqual(t, "rotate input", *c, cur)
			var err error
			succ, err = rotateTo("h2", at)(c)
			return succ, err
		})
		must(t, "RotateRefreshToken", err)
		cur.RotatedAt = at
		got, err := s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken current", err)
		wantEqual(t, "rotated token", got, cur)
		want := refreshToken("h2", "fam")
		want.CreatedAt = at
		got, err = s.GetRefreshToken(ctx, "h2")
		must(t, "GetRefreshToken successor", err)
		wantEqual(t, "successor", got, want)

		// The successor the store keeps is a copy, not rotate's pointer.
		succ.Scopes[0] = "admin"
		succ.Identity.Groups[0] = "root"
		got, err = s.GetRefreshToken(ctx, "h2")
		must(t, "GetRefreshToken successor", err)
		wantEqual(t, "successor after caller edits", got, want)

		// The successor rotates in turn; the rotated one refuses.
		must(t, "RotateRefreshToken successor", s.RotateRefreshToken(ctx, "h2", rotateTo("h3", at)))
		wantUpdaterErr(t, "RotateRefreshToken rotated", s.RotateRefreshToken(ctx, "h1", rotateTo("h4", at)))
		wantNoToken(t, s, "h4")
	}},
	{"RotateNilSuccessor", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		cur := refreshToken("h1", "fam")
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, cur))
		at := t0.Add(time.Hour)
		must(t, "RotateRefreshToken", s.RotateRefreshToken(ctx, "h1", func(c *store.RefreshToken) (*store.RefreshToken, error) {
			c.RotatedAt = at
			return nil, nil
		}))
		cur.RotatedAt = at
		got, err := s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken", err)
		wantEqual(t, "updated token", got, cur)
	}},
	{"RotateError", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		cur := refreshToken("h1", "fam")
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, cur))
		err := s.RotateRefreshToken(ctx, "h1", func(c *store.RefreshToken) (*store.RefreshToken, error) {
			succ, _ := rotateTo("h2", t0)(c)
			c.Scopes[0] = "admin"
			c.Identity.Groups[0] = "root"
			return succ, errUpdater
		})
		wantUpdaterErr(t, "RotateRefreshToken", err)
		got, err := s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken", err)
		wantEqual(t, "token after failed rotation", got, cur)
		wantNoToken(t, s, "h2")
	}},
	{"RotateSuccessorExists", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		cur := refreshToken("h1", "fam")
		taken := refreshToken("h2", "other")
		must(t, "CreateRefreshToken h1", s.CreateRefreshToken(ctx, cur))
		must(t, "CreateRefreshToken h2", s.CreateRefreshToken(ctx, taken))
		err := s.RotateRefreshToken(ctx, "h1", rotateTo("h2", t0))
		wantErr(t, "RotateRefreshToken onto an existing hash", err, store.ErrAlreadyExists)
		got, err := s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken h1", err)
		wantEqual(t, "current after refused rotation", got, cur)
		got, err = s.GetRefreshToken(ctx, "h2")
		must(t, "GetRefreshToken h2", err)
		wantEqual(t, "existing token after refused rotation", got, taken)
	}},
	{"RotateChangesKey", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		cur := refreshToken("h1", "fam")
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, cur))
		err := s.RotateRefreshToken(ctx, "h1", func(c *store.RefreshToken) (*store.RefreshToken, error) {
			succ, _ := rotateTo("h2", t0)(c)
			c.Hash = "h9"
			return succ, nil
		})
		if err == nil {
			t.Error("RotateRefreshToken changing the hash: got no error")
		}
		got, err := s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken", err)
		wantEqual(t, "token after refused rotation", got, cur)
		wantNoToken(t, s, "h2")
		wantNoToken(t, s, "h9")
	}},
	{"RotateUnderConcurrency", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, refreshToken("h0", "fam")))
		start := make(startLine)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []int
		for i := range concurrency {
			wg.Go(func() {
				start.wait()
				err := s.RotateRefreshToken(ctx, "h0", rotateTo("succ-"+strconv.Itoa(i), t0.Add(time.Duration(i+1)*time.Second)))
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, i)
					mu.Unlock()
				case errors.Is(err, errUpdater):
					wantUpdaterErr(t, "losing rotation", err)
				default:
					t.Errorf("rotation %d: %v", i, err)
				}
			})
		}
		start.release()
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("%d concurrent rotations succeeded (%v), want exactly 1", len(winners), winners)
		}
		for i := range concurrency {
			_, err := s.GetRefreshToken(ctx, "succ-"+strconv.Itoa(i))
			if i == winners[0] {
				must(t, "winner's successor", err)
			} else {
				wantErr(t, "loser's successor", err, store.ErrNotFound)
			}
		}
		got, err := s.GetRefreshToken(ctx, "h0")
		must(t, "GetRefreshToken", err)
		if want := t0.Add(time.Duration(winners[0]+1) * time.Second); !got.RotatedAt.Equal(want) {
			t.Errorf("RotatedAt = %v, want the winner's %v", got.RotatedAt, want)
		}
	}},
	{"RevokeFamily", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, "CreateRefreshToken a1", s.CreateRefreshToken(ctx, refreshToken("a1", "famA")))
		must(t, "RotateRefreshToken a1", s.RotateRefreshToken(ctx, "a1", rotateTo("a2", t0)))
		must(t, "CreateRefreshToken a3", s.CreateRefreshToken(ctx, refreshToken("a3", "famA")))
		b1 := refreshToken("b1", "famB")
		must(t, "CreateRefreshToken b1", s.CreateRefreshToken(ctx, b1))

		must(t, "RevokeGrant", s.RevokeGrant(ctx, revocation("famA", future)))
		for _, h := range []string{"a1", "a2", "a3"} {
			wantNoToken(t, s, h)
			err := s.RotateRefreshToken(ctx, h, func(*store.RefreshToken) (*store.RefreshToken, error) {
				t.Errorf("rotate called for revoked token %s", h)
				return nil, nil
			})
			wantErr(t, "RotateRefreshToken revoked "+h, err, store.ErrNotFound)
		}
		got, err := s.GetRefreshToken(ctx, "b1")
		must(t, "GetRefreshToken other family", err)
		wantEqual(t, "other family's token", got, b1)

		// Revocation is idempotent: replays revoke again without failing.
		must(t, "RevokeGrant again", s.RevokeGrant(ctx, revocation("famA", future)))
		must(t, "RevokeGrant unknown", s.RevokeGrant(ctx, revocation("never-existed", future)))
	}},
	{"NoAliasing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		rt := refreshToken("h1", "fam")
		want := refreshToken("h1", "fam")
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, rt))
		rt.Scopes[0] = "admin"
		rt.Identity.Groups[0] = "root"
		got, err := s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken", err)
		wantEqual(t, "GetRefreshToken after caller edited its input", got, want)
		got.Scopes[1] = "admin"
		got.Identity.Groups[1] = "root"

		var kept *store.RefreshToken
		must(t, "RotateRefreshToken", s.RotateRefreshToken(ctx, "h1", func(c *store.RefreshToken) (*store.RefreshToken, error) {
			kept = c
			return nil, nil
		}))
		kept.Scopes[0] = "admin"
		kept.Identity.Groups[2] = "root"

		got, err = s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken", err)
		wantEqual(t, "GetRefreshToken after caller edited returned records", got, want)
	}},
}
