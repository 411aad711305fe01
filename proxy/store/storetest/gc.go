package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// createAll creates one record of every kind, each expiring at exp.
func createAll(t *testing.T, s store.Store, suffix string, exp time.Time) {
	t.Helper()
	ctx := t.Context()
	c := client("c-" + suffix)
	c.ExpiresAt = exp
	must(t, "CreateClient", s.CreateClient(ctx, c))
	r := authRequest("r-" + suffix)
	r.ExpiresAt = exp
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
	code := authCode("h-" + suffix)
	code.ExpiresAt = exp
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, code))
	rt := refreshToken("h-"+suffix, "fam")
	rt.ExpiresAt = exp
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, rt))
	cons := consent("alice", "c-"+suffix)
	cons.ExpiresAt = exp
	must(t, "PutConsent", s.PutConsent(ctx, cons))
	k := signingKey("k-"+suffix, t0)
	k.ExpiresAt = exp
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
}

// allPresent reports, per kind, whether the records createAll made under
// suffix can still be read.
func allPresent(t *testing.T, s store.Store, suffix string) []bool {
	t.Helper()
	ctx := t.Context()
	_, errC := s.GetClient(ctx, "c-"+suffix)
	_, errR := s.GetAuthRequest(ctx, "r-"+suffix)
	_, errH := readCode(t, s, "h-"+suffix)
	_, errT := s.GetRefreshToken(ctx, "h-"+suffix)
	_, errN := s.GetConsent(ctx, "alice", "c-"+suffix)
	keys, errK := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", errK)
	key := false
	for _, k := range keys {
		key = key || k.ID == "k-"+suffix
	}
	return []bool{errC == nil, errR == nil, errH == nil, errT == nil, errN == nil, key}
}

func wantGC(t *testing.T, what string, got, want store.GCResult) {
	t.Helper()
	if got != want {
		t.Errorf("%s: removed %+v, want %+v", what, got, want)
	}
}

var gcTests = []test{
	{"RemovesExpired", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createAll(t, s, "live", future)
		createAll(t, s, "expired", past)
		// Zero expiry: never for the long-lived kinds, already for the others.
		createAll(t, s, "zero", time.Time{})
		secret, err := s.EnsureSecret(ctx, "hmac", []byte("kept"))
		must(t, "EnsureSecret", err)

		got, err := s.GarbageCollect(ctx, time.Now())
		must(t, "GarbageCollect", err)
		want := store.GCResult{Clients: 1, AuthRequests: 2, AuthCodes: 2, RefreshTokens: 2, Consents: 1, SigningKeys: 1}
		wantGC(t, "GarbageCollect", got, want)
		if got.Total() != 9 {
			t.Errorf("Total() = %d, want 9", got.Total())
		}

		wantEqual(t, "live records after GC", allPresent(t, s, "live"), []bool{true, true, true, true, true, true})
		wantEqual(t, "zero-expiry records after GC", allPresent(t, s, "zero"), []bool{true, false, false, false, true, true})
		got, err = s.GarbageCollect(ctx, time.Now())
		must(t, "GarbageCollect again", err)
		wantGC(t, "GarbageCollect again", got, store.GCResult{})

		kept, err := s.EnsureSecret(ctx, "hmac", []byte("other"))
		must(t, "EnsureSecret", err)
		if !bytes.Equal(kept, secret) {
			t.Errorf("secret after GC = %q, want %q", kept, secret)
		}
	}},
	{"UsesGivenTime", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		exp := future
		createAll(t, s, "x", exp)
		got, err := s.GarbageCollect(ctx, time.Now())
		must(t, "GarbageCollect now", err)
		wantGC(t, "GarbageCollect now", got, store.GCResult{})
		// Expired means ExpiresAt is before now, so not at exactly now.
		got, err = s.GarbageCollect(ctx, exp)
		must(t, "GarbageCollect at expiry", err)
		wantGC(t, "GarbageCollect at expiry", got, store.GCResult{})
		got, err = s.GarbageCollect(ctx, exp.Add(time.Millisecond))
		must(t, "GarbageCollect after expiry", err)
		wantGC(t, "GarbageCollect after expiry", got, store.GCResult{Clients: 1, AuthRequests: 1, AuthCodes: 1, RefreshTokens: 1, Consents: 1, SigningKeys: 1})
		wantEqual(t, "records after GC", allPresent(t, s, "x"), make([]bool, 6))
	}},
}
