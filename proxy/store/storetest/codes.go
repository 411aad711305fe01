package storetest

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// readCode reads a code the only way the interface allows: a no-op update.
func readCode(t *testing.T, s store.Store, hash string) (store.AuthCode, error) {
	t.Helper()
	return s.UpdateAuthCode(t.Context(), hash, func(*store.AuthCode) error { return nil })
}

// redeem is the updater the authorization server uses: first one wins.
func redeem(family string) func(*store.AuthCode) error {
	return func(c *store.AuthCode) error {
		if c.Redeemed {
			return errUpdater
		}
		c.Redeemed = true
		c.FamilyID = family
		return nil
	}
}

var authCodeTests = []test{
	{"CreateRedeem", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := authCode("h1")
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
		var seen store.AuthCode
		got, err := s.UpdateAuthCode(ctx, "h1", func(cur *store.AuthCode) error {
			seen = *cur
			return redeem("fam-1")(cur)
		})
		must(t, "UpdateAuthCode", err)
		wantEqual(t, "updater input", seen, c)
		c.Redeemed = true
		c.FamilyID = "fam-1"
		wantEqual(t, "UpdateAuthCode result", got, c)
		got, err = readCode(t, s, "h1")
		must(t, "read back", err)
		wantEqual(t, "stored code", got, c)

		// Replay: the updater sees the earlier redemption and refuses.
		got, err = s.UpdateAuthCode(ctx, "h1", redeem("fam-2"))
		wantUpdaterErr(t, "UpdateAuthCode replay", err)
		wantEqual(t, "UpdateAuthCode result on error", got, store.AuthCode{})
		got, err = readCode(t, s, "h1")
		must(t, "read back", err)
		wantEqual(t, "stored code after replay", got, c)
	}},
	{"CreateDuplicate", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := authCode("h1")
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
		other := authCode("h1")
		other.ClientID = "other"
		wantErr(t, "CreateAuthCode again", s.CreateAuthCode(ctx, other), store.ErrAlreadyExists)
		got, err := readCode(t, s, "h1")
		must(t, "read back", err)
		wantEqual(t, "stored code", got, c)
	}},
	{"Missing", func(t *testing.T, s store.Store) {
		_, err := s.UpdateAuthCode(t.Context(), "nope", func(*store.AuthCode) error {
			t.Error("updater called for a missing code")
			return nil
		})
		wantErr(t, "UpdateAuthCode", err, store.ErrNotFound)
	}},
	{"UpdaterError", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := authCode("h1")
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
		_, err := s.UpdateAuthCode(ctx, "h1", func(cur *store.AuthCode) error {
			cur.Redeemed = true
			cur.FamilyID = "fam"
			cur.Identity.Groups[0] = "root"
			cur.Scopes[0] = "admin"
			return errUpdater
		})
		wantUpdaterErr(t, "UpdateAuthCode", err)
		got, err := readCode(t, s, "h1")
		must(t, "read back", err)
		wantEqual(t, "stored code after failed update", got, c)
	}},
	{"UpdaterChangesKey", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := authCode("h1")
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
		_, err := s.UpdateAuthCode(ctx, "h1", func(cur *store.AuthCode) error {
			cur.Hash = "h2"
			cur.Redeemed = true
			return nil
		})
		if err == nil {
			t.Error("UpdateAuthCode changing the hash: got no error")
		}
		got, err := readCode(t, s, "h1")
		must(t, "read back", err)
		wantEqual(t, "stored code after refused update", got, c)
		_, err = readCode(t, s, "h2")
		wantErr(t, "code under the new hash", err, store.ErrNotFound)
	}},
	{"Expiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expired := authCode("old")
		expired.ExpiresAt = past
		noExpiry := authCode("zero")
		noExpiry.ExpiresAt = time.Time{}
		for _, c := range []store.AuthCode{expired, noExpiry} {
			must(t, "CreateAuthCode "+c.Hash, s.CreateAuthCode(ctx, c))
			_, err := s.UpdateAuthCode(ctx, c.Hash, func(*store.AuthCode) error {
				t.Errorf("updater called for expired code %s", c.Hash)
				return nil
			})
			wantErr(t, "UpdateAuthCode "+c.Hash, err, store.ErrNotFound)
		}
		fresh := authCode("old")
		must(t, "CreateAuthCode over expired", s.CreateAuthCode(ctx, fresh))
		got, err := readCode(t, s, "old")
		must(t, "read back", err)
		wantEqual(t, "replaced code", got, fresh)
	}},
	{"NoAliasing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := authCode("h1")
		want := authCode("h1")
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
		c.Identity.Groups[0] = "root"
		c.Scopes[0] = "admin"

		var kept *store.AuthCode
		got, err := s.UpdateAuthCode(ctx, "h1", func(cur *store.AuthCode) error {
			kept = cur
			return nil
		})
		must(t, "UpdateAuthCode", err)
		wantEqual(t, "UpdateAuthCode result", got, want)
		kept.Identity.Groups[0] = "root"
		kept.Scopes[1] = "admin"
		got.Identity.Groups[1] = "root"
		got.Scopes[0] = "admin"

		got, err = readCode(t, s, "h1")
		must(t, "read back", err)
		wantEqual(t, "stored code after caller edits", got, want)
	}},
	{"SingleUseUnderConcurrency", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, authCode("h1")))
		start := make(startLine)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []string
		for i := range concurrency {
			wg.Go(func() {
				id := strconv.Itoa(i)
				start.wait()
				got, err := s.UpdateAuthCode(ctx, "h1", redeem(id))
				switch {
				case err == nil:
					if !got.Redeemed || got.FamilyID != id {
						t.Errorf("winner %s got back Redeemed=%v FamilyID=%q", id, got.Redeemed, got.FamilyID)
					}
					mu.Lock()
					winners = append(winners, id)
					mu.Unlock()
				case errors.Is(err, errUpdater):
					wantUpdaterErr(t, "losing redemption "+id, err)
				default:
					t.Errorf("redemption %s: %v", id, err)
				}
			})
		}
		start.release()
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("%d concurrent redemptions succeeded (%q), want exactly 1", len(winners), winners)
		}
		got, err := readCode(t, s, "h1")
		must(t, "read back", err)
		if !got.Redeemed || got.FamilyID != winners[0] {
			t.Errorf("stored code: Redeemed=%v FamilyID=%q, want true and the winner's %q", got.Redeemed, got.FamilyID, winners[0])
		}
	}},
}
