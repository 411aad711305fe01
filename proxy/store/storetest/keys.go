package storetest

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var signingKeyTests = []test{
	{"CreateList", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		list, err := s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys empty", err)
		if len(list) != 0 {
			t.Errorf("ListSigningKeys on an empty store: %d keys", len(list))
		}

		k1 := signingKey("k1", t0)
		k2 := signingKey("k2", t0.Add(2*time.Hour))
		k2.RetiredAt = t0.Add(3 * time.Hour)
		k2.ExpiresAt = future
		k3 := signingKey("k3", t0.Add(time.Hour))
		gone := signingKey("gone", t0.Add(-time.Hour))
		gone.RetiredAt = t0
		gone.ExpiresAt = past
		// Created out of order so that insertion order cannot pass for age.
		for _, k := range []store.SigningKey{k2, gone, k1, k3} {
			must(t, "CreateSigningKey "+k.ID, s.CreateSigningKey(ctx, k))
		}
		list, err = s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		wantEqual(t, "ListSigningKeys", list, []store.SigningKey{k1, k3, k2})
	}},
	{"CreateDuplicate", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		k := signingKey("k1", t0)
		must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
		other := signingKey("k1", t0.Add(time.Hour))
		other.Algorithm = "RS256"
		wantErr(t, "CreateSigningKey again", s.CreateSigningKey(ctx, other), store.ErrAlreadyExists)
		list, err := s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		wantEqual(t, "ListSigningKeys", list, []store.SigningKey{k})
	}},
	{"Update", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		k := signingKey("k1", t0)
		must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
		retire := func(k *store.SigningKey) {
			k.RetiredAt = t0.Add(time.Hour)
			k.ExpiresAt = future
		}
		must(t, "UpdateSigningKey", s.UpdateSigningKey(ctx, "k1", func(cur *store.SigningKey) error {
			wantEqual(t, "updater input", *cur, k)
			retire(cur)
			return nil
		}))
		retire(&k)
		list, err := s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		wantEqual(t, "ListSigningKeys after update", list, []store.SigningKey{k})

		err = s.UpdateSigningKey(ctx, "k1", func(cur *store.SigningKey) error {
			cur.PrivateKey[0] = 0
			cur.Algorithm = "none"
			return errUpdater
		})
		wantUpdaterErr(t, "UpdateSigningKey", err)
		err = s.UpdateSigningKey(ctx, "k1", func(cur *store.SigningKey) error {
			cur.ID = "k2"
			return nil
		})
		if err == nil {
			t.Error("UpdateSigningKey changing the ID: got no error")
		}
		list, err = s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		wantEqual(t, "ListSigningKeys after refused updates", list, []store.SigningKey{k})

		err = s.UpdateSigningKey(ctx, "nope", func(*store.SigningKey) error {
			t.Error("updater called for a missing key")
			return nil
		})
		wantErr(t, "UpdateSigningKey missing", err, store.ErrNotFound)
	}},
	{"Expiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		k := signingKey("k1", t0)
		k.ExpiresAt = past
		must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
		err := s.UpdateSigningKey(ctx, "k1", func(*store.SigningKey) error {
			t.Error("updater called for an expired key")
			return nil
		})
		wantErr(t, "UpdateSigningKey expired", err, store.ErrNotFound)
		fresh := signingKey("k1", t0)
		must(t, "CreateSigningKey over expired", s.CreateSigningKey(ctx, fresh))
		list, err := s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		wantEqual(t, "ListSigningKeys", list, []store.SigningKey{fresh})
	}},
	{"NoAliasing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		k := signingKey("k1", t0)
		want := signingKey("k1", t0)
		must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
		k.PrivateKey[0] = 0
		k.PublicKey[0] = 0
		list, err := s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		wantEqual(t, "ListSigningKeys after caller edited its input", list, []store.SigningKey{want})
		list[0].PrivateKey[1] = 0

		var kept *store.SigningKey
		must(t, "UpdateSigningKey", s.UpdateSigningKey(ctx, "k1", func(cur *store.SigningKey) error {
			kept = cur
			return nil
		}))
		kept.PublicKey[1] = 0

		list, err = s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		wantEqual(t, "ListSigningKeys after caller edited returned records", list, []store.SigningKey{want})
	}},
}
