package storetest

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// wantTime checks the documented guarantee: UTC, and within a millisecond.
func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, got.Location())
	}
	if d := got.Sub(want); d <= -time.Millisecond || d >= time.Millisecond {
		t.Errorf("%s: %v, want %v (off by %v)", what, got, want, d)
	}
}

var timeTests = []test{
	{"PrecisionAndZone", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		zone := time.FixedZone("UTC+5:30", 5*3600+1800)
		// Sub-millisecond digits and a monotonic reading, as time.Now() gives.
		created := time.Now().In(zone).Add(-time.Minute)
		expires := time.Now().In(zone).Add(time.Hour)
		c := client("c1")
		c.CreatedAt = created
		c.ExpiresAt = expires
		must(t, "CreateClient", s.CreateClient(ctx, c))
		got, err := s.GetClient(ctx, "c1")
		must(t, "GetClient", err)
		wantTime(t, "CreatedAt", got.CreatedAt, created)
		wantTime(t, "ExpiresAt", got.ExpiresAt, expires)

		// Far from the epoch in both directions, and zero.
		moonLanding := time.Date(1969, 7, 20, 20, 17, 40, 123_000_000, time.UTC)
		farFuture := time.Date(2999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
		k := signingKey("k1", moonLanding)
		k.ActiveAt = farFuture
		k.RetiredAt = time.Time{}
		must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
		keys, err := s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		wantEqual(t, "ListSigningKeys", keys, []store.SigningKey{k})
		if len(keys) == 1 && !keys[0].RetiredAt.IsZero() {
			t.Errorf("zero RetiredAt came back as %v", keys[0].RetiredAt)
		}

		// Times written by updaters follow the same rule.
		rt := refreshToken("h1", "fam")
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, rt))
		rotated := time.Now().In(zone)
		must(t, "RotateRefreshToken", s.RotateRefreshToken(ctx, "h1", func(cur *store.RefreshToken) (*store.RefreshToken, error) {
			cur.RotatedAt = rotated
			return nil, nil
		}))
		gotRT, err := s.GetRefreshToken(ctx, "h1")
		must(t, "GetRefreshToken", err)
		wantTime(t, "RotatedAt", gotRT.RotatedAt, rotated)
	}},
}
