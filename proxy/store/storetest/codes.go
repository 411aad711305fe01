package storetest

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// errPeek ends a redemption that only looks at the code.
var errPeek = errors.New("storetest: only looking")

// readCode reads a code the only way the interface allows: a redemption
// that refuses after seeing it.
func readCode(t *testing.T, s store.Store, hash string) (store.AuthCode, error) {
	t.Helper()
	return PeekCode(t.Context(), s, hash)
}

// redeemer is what the authorization server does: the first redemption
// issues a family, a replay is refused.
func redeemer(family string) func(store.AuthCode) (*store.RefreshToken, error) {
	return func(c store.AuthCode) (*store.RefreshToken, error) {
		if c.Redeemed {
			return nil, errUpdater
		}
		rt := refreshToken("rt-"+family, family)
		return &rt, nil
	}
}

var authCodeTests = []test{
	{"CreateRedeem", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := authCode("h1")
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
		var seen store.AuthCode
		must(t, "RedeemAuthCode", s.RedeemAuthCode(ctx, "h1", func(cur store.AuthCode) (*store.RefreshToken, error) {
			seen = cur
			return redeemer("fam-1")(cur)
		}))
		wantEqual(t, "redeem input", seen, c)
		got, err := readCode(t, s, "h1")
		must(t, "read back", err)
		c.Redeemed, c.FamilyID = true, "fam-1"
		wantEqual(t, "stored code", got, c)
		rt, err := s.GetRefreshToken(ctx, "rt-fam-1")
		must(t, "GetRefreshToken of the redemption's token", err)
		wantEqual(t, "stored token", rt, refreshToken("rt-fam-1", "fam-1"))

		// Replay: redeem sees the earlier redemption and its family.
		var replayed store.AuthCode
		err = s.RedeemAuthCode(ctx, "h1", func(cur store.AuthCode) (*store.RefreshToken, error) {
			replayed = cur
			return redeemer("fam-2")(cur)
		})
		wantUpdaterErr(t, "RedeemAuthCode replay", err)
		if !replayed.Redeemed || replayed.FamilyID != "fam-1" {
			t.Errorf("replay saw Redeemed=%v FamilyID=%q, want true and fam-1", replayed.Redeemed, replayed.FamilyID)
		}
		got, err = readCode(t, s, "h1")
		must(t, "read back", err)
		wantEqual(t, "stored code after replay", got, c)
		_, err = s.GetRefreshToken(ctx, "rt-fam-2")
		wantErr(t, "token of the refused replay", err, store.ErrNotFound)
	}},
	{"RedeemedTwiceRefused", func(t *testing.T, s store.Store) {
		// A redeem that ignores Redeemed still cannot issue a second
		// family.
		ctx := t.Context()
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, authCode("h1")))
		always := func(family string) func(store.AuthCode) (*store.RefreshToken, error) {
			return func(store.AuthCode) (*store.RefreshToken, error) {
				rt := refreshToken("rt-"+family, family)
				return &rt, nil
			}
		}
		must(t, "RedeemAuthCode", s.RedeemAuthCode(ctx, "h1", always("fam-1")))
		wantErr(t, "RedeemAuthCode again", s.RedeemAuthCode(ctx, "h1", always("fam-2")), store.ErrAlreadyExists)
		got, err := readCode(t, s, "h1")
		must(t, "read back", err)
		if got.FamilyID != "fam-1" {
			t.Errorf("FamilyID: got %q, want fam-1", got.FamilyID)
		}
		_, err = s.GetRefreshToken(ctx, "rt-fam-2")
		wantErr(t, "second family's token", err, store.ErrNotFound)
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
		err := s.RedeemAuthCode(t.Context(), "nope", func(store.AuthCode) (*store.RefreshToken, error) {
			t.Error("redeem called for a missing code")
			return nil, nil
		})
		wantErr(t, "RedeemAuthCode", err, store.ErrNotFound)
	}},
	{"RedeemError", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := authCode("h1")
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
		err := s.RedeemAuthCode(ctx, "h1", func(cur store.AuthCode) (*store.RefreshToken, error) {
			cur.Identity.Groups[0] = "root"
			cur.Scopes[0] = "admin"
			return nil, errUpdater
		})
		wantUpdaterErr(t, "RedeemAuthCode", err)
		got, err := readCode(t, s, "h1")
		must(t, "read back", err)
		wantEqual(t, "stored code after failed redemption", got, c)
	}},
	{"TokenTaken", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := authCode("h1")
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
		taken := refreshToken("rt-fam-1", "other-family")
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, taken))
		wantErr(t, "RedeemAuthCode onto a taken hash", s.RedeemAuthCode(ctx, "h1", redeemer("fam-1")), store.ErrAlreadyExists)
		got, err := readCode(t, s, "h1")
		must(t, "read back", err)
		wantEqual(t, "code after the refused redemption", got, c)
		rt, err := s.GetRefreshToken(ctx, "rt-fam-1")
		must(t, "GetRefreshToken", err)
		wantEqual(t, "the token that was there", rt, taken)
	}},
	{"Expiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expired := authCode("old")
		expired.ExpiresAt = past
		noExpiry := authCode("zero")
		noExpiry.ExpiresAt = time.Time{}
		for _, c := range []store.AuthCode{expired, noExpiry} {
			must(t, "CreateAuthCode "+c.Hash, s.CreateAuthCode(ctx, c))
			err := s.RedeemAuthCode(ctx, c.Hash, func(store.AuthCode) (*store.RefreshToken, error) {
				t.Errorf("redeem called for expired code %s", c.Hash)
				return nil, nil
			})
			wantErr(t, "RedeemAuthCode "+c.Hash, err, store.ErrNotFound)
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
		got, err := readCode(t, s, "h1")
		must(t, "read", err)
		wantEqual(t, "code after caller edits", got, want)
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
				err := s.RedeemAuthCode(ctx, "h1", redeemer(id))
				switch {
				case err == nil:
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
		for i := range concurrency {
			id := strconv.Itoa(i)
			_, err := s.GetRefreshToken(ctx, "rt-"+id)
			if (err == nil) != (id == winners[0]) {
				t.Errorf("token of redemption %s: err %v, want one only for the winner", id, err)
			}
		}
	}},
}
