package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var clientTests = []test{
	{"CreateGet", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := client("c1")
		must(t, "CreateClient", s.CreateClient(ctx, c))
		got, err := s.GetClient(ctx, "c1")
		must(t, "GetClient", err)
		wantEqual(t, "GetClient", got, c)

		// A public client with nothing optional set round-trips too.
		bare := store.Client{ID: "bare", CreatedAt: t0}
		must(t, "CreateClient bare", s.CreateClient(ctx, bare))
		got, err = s.GetClient(ctx, "bare")
		must(t, "GetClient bare", err)
		wantEqual(t, "GetClient bare", got, bare)
	}},
	{"CreateDuplicate", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := client("c1")
		must(t, "CreateClient", s.CreateClient(ctx, c))
		other := client("c1")
		other.Name = "impostor"
		wantErr(t, "CreateClient again", s.CreateClient(ctx, other), store.ErrAlreadyExists)
		got, err := s.GetClient(ctx, "c1")
		must(t, "GetClient", err)
		wantEqual(t, "GetClient after duplicate", got, c)
	}},
	{"Missing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		_, err := s.GetClient(ctx, "nope")
		wantErr(t, "GetClient", err, store.ErrNotFound)
		err = s.UpdateClient(ctx, "nope", func(*store.Client) error {
			t.Error("updater called for a missing client")
			return nil
		})
		wantErr(t, "UpdateClient", err, store.ErrNotFound)
		wantErr(t, "DeleteClient", s.DeleteClient(ctx, "nope"), store.ErrNotFound)
	}},
	{"Update", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := client("c1")
		must(t, "CreateClient", s.CreateClient(ctx, c))
		err := s.UpdateClient(ctx, "c1", func(cur *store.Client) error {
			wantEqual(t, "updater input", *cur, c)
			cur.Name = "renamed"
			cur.RedirectURIs = append(cur.RedirectURIs, "https://new.example.com/cb")
			cur.ExpiresAt = t0.Add(1000 * 24 * time.Hour)
			return nil
		})
		must(t, "UpdateClient", err)
		c.Name = "renamed"
		c.RedirectURIs = append(c.RedirectURIs, "https://new.example.com/cb")
		c.ExpiresAt = t0.Add(1000 * 24 * time.Hour)
		got, err := s.GetClient(ctx, "c1")
		must(t, "GetClient", err)
		wantEqual(t, "GetClient after update", got, c)
	}},
	{"UpdaterError", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := client("c1")
		must(t, "CreateClient", s.CreateClient(ctx, c))
		err := s.UpdateClient(ctx, "c1", func(cur *store.Client) error {
			// In-place edits of shared backing arrays must not leak either.
			cur.Name = "changed"
			cur.RedirectURIs[0] = "https://evil.example.com/cb"
			return errUpdater
		})
		wantUpdaterErr(t, "UpdateClient", err)
		got, err := s.GetClient(ctx, "c1")
		must(t, "GetClient", err)
		wantEqual(t, "GetClient after failed update", got, c)
	}},
	{"UpdaterChangesKey", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := client("c1")
		must(t, "CreateClient", s.CreateClient(ctx, c))
		err := s.UpdateClient(ctx, "c1", func(cur *store.Client) error {
			cur.ID = "c2"
			cur.Name = "moved"
			return nil
		})
		if err == nil {
			t.Error("UpdateClient changing the ID: got no error")
		}
		got, err := s.GetClient(ctx, "c1")
		must(t, "GetClient", err)
		wantEqual(t, "GetClient after refused update", got, c)
		_, err = s.GetClient(ctx, "c2")
		wantErr(t, "GetClient under the new ID", err, store.ErrNotFound)
	}},
	{"Delete", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, "CreateClient c1", s.CreateClient(ctx, client("c1")))
		must(t, "CreateClient c2", s.CreateClient(ctx, client("c2")))
		must(t, "DeleteClient", s.DeleteClient(ctx, "c1"))
		_, err := s.GetClient(ctx, "c1")
		wantErr(t, "GetClient deleted", err, store.ErrNotFound)
		wantErr(t, "DeleteClient again", s.DeleteClient(ctx, "c1"), store.ErrNotFound)
		_, err = s.GetClient(ctx, "c2")
		must(t, "GetClient c2 (not deleted)", err)
		// The ID is free again.
		must(t, "CreateClient after delete", s.CreateClient(ctx, client("c1")))
	}},
	{"Expiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expired := client("old")
		expired.ExpiresAt = past
		must(t, "CreateClient expired", s.CreateClient(ctx, expired))
		_, err := s.GetClient(ctx, "old")
		wantErr(t, "GetClient expired", err, store.ErrNotFound)
		err = s.UpdateClient(ctx, "old", func(*store.Client) error {
			t.Error("updater called for an expired client")
			return nil
		})
		wantErr(t, "UpdateClient expired", err, store.ErrNotFound)
		wantErr(t, "DeleteClient expired", s.DeleteClient(ctx, "old"), store.ErrNotFound)

		// An expired record is absent, so its ID can be registered again.
		fresh := client("old")
		fresh.Name = "fresh"
		must(t, "CreateClient over expired", s.CreateClient(ctx, fresh))
		got, err := s.GetClient(ctx, "old")
		must(t, "GetClient replaced", err)
		wantEqual(t, "GetClient replaced", got, fresh)

		forever := client("forever")
		forever.ExpiresAt = time.Time{}
		must(t, "CreateClient without expiry", s.CreateClient(ctx, forever))
		got, err = s.GetClient(ctx, "forever")
		must(t, "GetClient without expiry", err)
		wantEqual(t, "GetClient without expiry", got, forever)
	}},
	{"NoAliasing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := client("c1")
		want := client("c1")
		must(t, "CreateClient", s.CreateClient(ctx, c))
		c.RedirectURIs[0] = "https://evil.example.com/cb"
		c.GrantTypes[0] = "implicit"

		got, err := s.GetClient(ctx, "c1")
		must(t, "GetClient", err)
		wantEqual(t, "GetClient after caller edited its input", got, want)
		got.RedirectURIs[0] = "https://evil.example.com/cb"
		got.ResponseTypes[0] = "token"

		var kept *store.Client
		must(t, "UpdateClient", s.UpdateClient(ctx, "c1", func(cur *store.Client) error {
			kept = cur
			return nil
		}))
		kept.RedirectURIs[0] = "https://evil.example.com/cb"
		kept.Name = "late edit"

		got, err = s.GetClient(ctx, "c1")
		must(t, "GetClient", err)
		wantEqual(t, "GetClient after caller edited returned records", got, want)
	}},
	{"ConcurrentUpdates", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := client("c1")
		c.RedirectURIs = nil
		must(t, "CreateClient", s.CreateClient(ctx, c))
		start := make(startLine)
		var wg sync.WaitGroup
		for i := range concurrency {
			wg.Go(func() {
				start.wait()
				err := s.UpdateClient(ctx, "c1", func(cur *store.Client) error {
					cur.RedirectURIs = append(cur.RedirectURIs, fmt.Sprintf("https://%d.example.com/cb", i))
					return nil
				})
				if err != nil {
					t.Errorf("UpdateClient %d: %v", i, err)
				}
			})
		}
		start.release()
		wg.Wait()
		got, err := s.GetClient(ctx, "c1")
		must(t, "GetClient", err)
		if len(got.RedirectURIs) != concurrency {
			t.Errorf("after %d concurrent appends: %d redirect URIs (lost updates): %q", concurrency, len(got.RedirectURIs), got.RedirectURIs)
		}
	}},
}
