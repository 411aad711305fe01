package redis

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// wantExpireAt checks a key's absolute expiry in Unix ms; -1 is none, -2
// is no such key.
func wantExpireAt(t *testing.T, prefix, key string, want int64) {
	t.Helper()
	// Not PExpireTime: it turns -1 and -2 into durations.
	got, err := needRedis(t).Do(t.Context(), "PEXPIRETIME", prefix+key).Int64()
	if err != nil {
		t.Fatalf("PEXPIRETIME %s: %v", key, err)
	}
	if got != want {
		t.Errorf("%s expires at %d, want %d", key, got, want)
	}
}

func wantMembers(t *testing.T, prefix, key string, want ...string) {
	t.Helper()
	got, err := needRedis(t).SMembers(t.Context(), prefix+key).Result()
	if err != nil {
		t.Fatalf("SMEMBERS %s: %v", key, err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", key, got, want)
	}
}

// TestLayout pins down the keys and TTLs that doc.go describes.
func TestLayout(t *testing.T) {
	prefix := testPrefix(t)
	s := openTest(t, prefix)
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	now := time.Now()
	hour := now.Add(time.Hour).Truncate(time.Millisecond)
	day := now.Add(24 * time.Hour).Truncate(time.Millisecond)
	ms := func(t time.Time) int64 { return t.UnixMilli() }

	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("CreateClient", s.CreateClient(ctx, store.Client{ID: "dcr", ExpiresAt: hour}))
	must("CreateClient", s.CreateClient(ctx, store.Client{ID: "config"}))
	must("CreateAuthRequest", s.CreateAuthRequest(ctx, store.AuthRequest{ID: "r1", ExpiresAt: hour}))
	must("CreateAuthCode", s.CreateAuthCode(ctx, store.AuthCode{Hash: "h1", ExpiresAt: hour}))
	must("CreateRefreshToken", s.CreateRefreshToken(ctx, store.RefreshToken{Hash: "t1", FamilyID: "fam", ExpiresAt: day}))
	must("CreateRefreshToken", s.CreateRefreshToken(ctx, store.RefreshToken{Hash: "t2", FamilyID: "fam", ExpiresAt: hour}))
	must("PutConsent", s.PutConsent(ctx, store.Consent{Subject: "alice", ClientID: "dcr"}))
	must("CreateSigningKey", s.CreateSigningKey(ctx, store.SigningKey{ID: "k1"}))
	must("ClaimOnce", s.ClaimOnce(ctx, "jti", hour))
	_, err := s.EnsureSecret(ctx, "cookie", []byte("x"))
	must("EnsureSecret", err)
	// Expired when written: indexed, not stored.
	must("CreateAuthCode expired", s.CreateAuthCode(ctx, store.AuthCode{Hash: "old"}))

	want := []string{
		"authreq:r1", "claim:jti", "client:config", "client:dcr", "code:h1",
		"consent:5:alicedcr",
		"exp:authreq", "exp:claim", "exp:client", "exp:code", "exp:consent", "exp:key", "exp:refresh",
		"family:fam", "key:k1", "refresh:t1", "refresh:t2", "secret:cookie",
	}
	if got := keysUnder(t, prefix); !slices.Equal(got, want) {
		t.Errorf("keys:\n got %q\nwant %q", got, want)
	}
	for key, exp := range map[string]int64{
		"client:dcr": ms(hour), "client:config": -1, "authreq:r1": ms(hour), "code:h1": ms(hour),
		"refresh:t1": ms(day), "refresh:t2": ms(hour), "consent:5:alicedcr": -1, "key:k1": -1,
		"claim:jti": ms(hour), "secret:cookie": -1, "code:old": -2,
		// The family lives as long as its longest-lived token.
		"family:fam": ms(day),
		// Indexes live until collected.
		"exp:code": -1,
	} {
		wantExpireAt(t, prefix, key, exp)
	}
	scores, err := needRedis(t).ZRangeWithScores(ctx, prefix+"exp:code", 0, -1).Result()
	must("ZRANGE exp:code", err)
	if len(scores) != 2 || scores[0].Member != "old" || scores[1].Member != "h1" || int64(scores[1].Score) != ms(hour) {
		t.Errorf("exp:code = %v, want old at -inf and h1 at its expiry", scores)
	}

	// Updates move the TTL with ExpiresAt, both ways.
	must("UpdateClient", s.UpdateClient(ctx, "config", func(c *store.Client) error { c.ExpiresAt = day; return nil }))
	wantExpireAt(t, prefix, "client:config", ms(day))
	must("UpdateClient", s.UpdateClient(ctx, "config", func(c *store.Client) error { c.ExpiresAt = time.Time{}; return nil }))
	wantExpireAt(t, prefix, "client:config", -1)
	must("UpdateSigningKey", s.UpdateSigningKey(ctx, "k1", func(k *store.SigningKey) error { k.RetiredAt = now; k.ExpiresAt = day; return nil }))
	wantExpireAt(t, prefix, "key:k1", ms(day))

	// A rotation's successor joins the family, which then lives as long
	// as the successor.
	later := now.Add(48 * time.Hour).Truncate(time.Millisecond)
	must("RotateRefreshToken", s.RotateRefreshToken(ctx, "t2", func(cur *store.RefreshToken) (*store.RefreshToken, error) {
		cur.RotatedAt = now
		return &store.RefreshToken{Hash: "t3", FamilyID: "fam", ExpiresAt: later}, nil
	}))
	wantMembers(t, prefix, "family:fam", "t1", "t2", "t3")
	wantExpireAt(t, prefix, "family:fam", ms(later))

	// Collection takes collected tokens out of their family.
	res, err := s.GarbageCollect(ctx, hour.Add(time.Millisecond))
	must("GarbageCollect", err)
	if want := (store.GCResult{Clients: 1, AuthRequests: 1, AuthCodes: 2, RefreshTokens: 1, Claims: 1}); res != want {
		t.Errorf("GarbageCollect: %+v, want %+v", res, want)
	}
	wantMembers(t, prefix, "family:fam", "t1", "t3")

	// Revocation leaves nothing of the family but its record in the
	// two revocation sets.
	must("RevokeGrant", s.RevokeGrant(ctx, store.Revocation{FamilyID: "fam", RevokedAt: now, ExpiresAt: hour}))
	want = []string{
		"client:config", "consent:5:alicedcr",
		"exp:client", "exp:consent", "exp:key", "exp:revoked",
		"key:k1", "revoked", "secret:cookie",
	}
	if got := keysUnder(t, prefix); !slices.Equal(got, want) {
		t.Errorf("keys after GC and revocation:\n got %q\nwant %q", got, want)
	}
	// A counter is a key of its own until it expires.
	if _, err := s.Increment(ctx, "c", hour); err != nil {
		t.Fatal(err)
	}
	wantExpireAt(t, prefix, "counter:c", ms(hour))
	res, err = s.GarbageCollect(ctx, hour.Add(time.Millisecond))
	must("GarbageCollect", err)
	if want := (store.GCResult{Revocations: 1, Counters: 1}); res != want {
		t.Errorf("GarbageCollect of the revocation and counter: %+v, want %+v", res, want)
	}
	want = []string{
		"client:config", "consent:5:alicedcr",
		"exp:client", "exp:consent", "exp:key",
		"key:k1", "secret:cookie",
	}
	if got := keysUnder(t, prefix); !slices.Equal(got, want) {
		t.Errorf("keys after GC and revocation:\n got %q\nwant %q", got, want)
	}
}

// A token hash reused after its token expired (test data, not real life:
// hashes are of random tokens) moves to its new family; revoking the old
// family must not take it along, though the old family's set, kept alive by
// another token, still lists it.
func TestRevokeSparesReusedHash(t *testing.T) {
	prefix := testPrefix(t)
	s := openTest(t, prefix)
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	hour := time.Now().Add(time.Hour)
	for _, rt := range []store.RefreshToken{
		{Hash: "h", FamilyID: "old", ExpiresAt: time.Now().Add(50 * time.Millisecond)},
		{Hash: "other", FamilyID: "old", ExpiresAt: hour},
	} {
		if err := s.CreateRefreshToken(ctx, rt); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.CreateRefreshToken(ctx, store.RefreshToken{Hash: "h", FamilyID: "new", ExpiresAt: hour}); err != nil {
		t.Fatalf("CreateRefreshToken over the expired one: %v", err)
	}
	wantMembers(t, prefix, "family:old", "h", "other")
	if err := s.RevokeGrant(ctx, store.Revocation{FamilyID: "old", RevokedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetRefreshToken(ctx, "h"); err != nil || got.FamilyID != "new" {
		t.Errorf("token of family new after revoking old: %+v, %v", got, err)
	}
	if _, err := s.GetRefreshToken(ctx, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token of the revoked family: got %v, want ErrNotFound", err)
	}
}
