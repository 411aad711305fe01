package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

func upstreamGrant(family string) store.UpstreamGrant {
	return store.UpstreamGrant{
		FamilyID:     family,
		Subject:      "https://idp.example.com#alice",
		SessionID:    "idp-session-1",
		RefreshToken: []byte{0x01, 0x02, 0xff, 0x00, 0x7f},
		CheckedAt:    t0,
		Version:      1,
		CreatedAt:    t0,
		ExpiresAt:    future,
	}
}

var upstreamGrantTests = []test{
	{"CreateGet", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		g := upstreamGrant("f1")
		must(t, "CreateUpstreamGrant", s.CreateUpstreamGrant(ctx, g))
		got, err := s.GetUpstreamGrant(ctx, "f1")
		must(t, "GetUpstreamGrant", err)
		wantEqual(t, "GetUpstreamGrant", got, g)
		other := upstreamGrant("f1")
		other.Subject = "https://idp.example.com#mallory"
		wantErr(t, "CreateUpstreamGrant again", s.CreateUpstreamGrant(ctx, other), store.ErrAlreadyExists)
		got, err = s.GetUpstreamGrant(ctx, "f1")
		must(t, "GetUpstreamGrant", err)
		wantEqual(t, "GetUpstreamGrant after a refused create", got, g)

		none := upstreamGrant("f2")
		none.RefreshToken, none.SessionID = nil, ""
		must(t, "CreateUpstreamGrant without a token", s.CreateUpstreamGrant(ctx, none))
		got, err = s.GetUpstreamGrant(ctx, "f2")
		must(t, "GetUpstreamGrant", err)
		if len(got.RefreshToken) != 0 || got.SessionID != "" {
			t.Errorf("a grant without a refresh token came back as %+v", got)
		}
	}},
	{"Update", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		g := upstreamGrant("f1")
		must(t, "CreateUpstreamGrant", s.CreateUpstreamGrant(ctx, g))
		rotate := func(g *store.UpstreamGrant) {
			g.RefreshToken = []byte("rotated")
			g.CheckedAt = t0.Add(time.Hour)
			g.Version++
		}
		must(t, "UpdateUpstreamGrant", s.UpdateUpstreamGrant(ctx, "f1", func(cur *store.UpstreamGrant) error {
			wantEqual(t, "updater input", *cur, g)
			rotate(cur)
			return nil
		}))
		rotate(&g)
		got, err := s.GetUpstreamGrant(ctx, "f1")
		must(t, "GetUpstreamGrant", err)
		wantEqual(t, "GetUpstreamGrant after update", got, g)

		err = s.UpdateUpstreamGrant(ctx, "f1", func(cur *store.UpstreamGrant) error {
			cur.RefreshToken[0] = 'X'
			cur.Version = 99
			return errUpdater
		})
		wantUpdaterErr(t, "UpdateUpstreamGrant", err)
		if err := s.UpdateUpstreamGrant(ctx, "f1", func(cur *store.UpstreamGrant) error { cur.FamilyID = "f2"; return nil }); err == nil {
			t.Error("UpdateUpstreamGrant changing the family: got no error")
		}
		got, err = s.GetUpstreamGrant(ctx, "f1")
		must(t, "GetUpstreamGrant", err)
		wantEqual(t, "GetUpstreamGrant after refused updates", got, g)

		err = s.UpdateUpstreamGrant(ctx, "nope", func(*store.UpstreamGrant) error {
			t.Error("updater called for a missing grant")
			return nil
		})
		wantErr(t, "UpdateUpstreamGrant missing", err, store.ErrNotFound)
	}},
	{"ConcurrentUpdates", func(t *testing.T, s store.Store) {
		// Each updater sees the one before it: none of the 8 is lost.
		ctx := t.Context()
		must(t, "CreateUpstreamGrant", s.CreateUpstreamGrant(ctx, upstreamGrant("f1")))
		start := make(startLine)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start.wait()
				if err := s.UpdateUpstreamGrant(ctx, "f1", func(cur *store.UpstreamGrant) error {
					cur.Version++
					return nil
				}); err != nil {
					t.Errorf("UpdateUpstreamGrant: %v", err)
				}
			}()
		}
		start.release()
		wg.Wait()
		got, err := s.GetUpstreamGrant(ctx, "f1")
		must(t, "GetUpstreamGrant", err)
		if got.Version != 9 {
			t.Errorf("after 8 concurrent updates: version %d, want 9", got.Version)
		}
	}},
	{"DeleteAndExpiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wantErr(t, "DeleteUpstreamGrant missing", s.DeleteUpstreamGrant(ctx, "f1"), store.ErrNotFound)
		must(t, "CreateUpstreamGrant", s.CreateUpstreamGrant(ctx, upstreamGrant("f1")))
		must(t, "DeleteUpstreamGrant", s.DeleteUpstreamGrant(ctx, "f1"))
		_, err := s.GetUpstreamGrant(ctx, "f1")
		wantErr(t, "GetUpstreamGrant deleted", err, store.ErrNotFound)

		expired := upstreamGrant("f2")
		expired.ExpiresAt = past
		must(t, "CreateUpstreamGrant expired", s.CreateUpstreamGrant(ctx, expired))
		_, err = s.GetUpstreamGrant(ctx, "f2")
		wantErr(t, "GetUpstreamGrant expired", err, store.ErrNotFound)
		// An expired grant is as good as absent: a new one replaces it.
		must(t, "CreateUpstreamGrant over an expired one", s.CreateUpstreamGrant(ctx, upstreamGrant("f2")))
		expired.FamilyID = "f3"
		must(t, "CreateUpstreamGrant expired", s.CreateUpstreamGrant(ctx, expired))
		res, err := s.GarbageCollect(ctx, time.Now())
		must(t, "GarbageCollect", err)
		if res.UpstreamGrants != 1 {
			t.Errorf("GarbageCollect removed %d upstream grants, want 1", res.UpstreamGrants)
		}
		_, err = s.GetUpstreamGrant(ctx, "f2")
		must(t, "GetUpstreamGrant (live, not collected)", err)
	}},
	{"OfSubject", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		alice := "https://idp.example.com#alice"
		got, err := s.UpstreamGrantsOf(ctx, alice)
		must(t, "UpstreamGrantsOf with none", err)
		if len(got) != 0 {
			t.Fatalf("UpstreamGrantsOf with none: %d grants", len(got))
		}
		a1, a2, a3 := upstreamGrant("a1"), upstreamGrant("a2"), upstreamGrant("a3")
		a2.SessionID = "idp-session-2"
		a3.ExpiresAt = past
		bob := upstreamGrant("b1")
		bob.Subject = "https://idp.example.com#bob"
		other := upstreamGrant("o1")
		other.Subject = "https://other.example.com#alice" // the same sub at another IdP
		for _, g := range []store.UpstreamGrant{a1, a2, a3, bob, other} {
			must(t, "CreateUpstreamGrant", s.CreateUpstreamGrant(ctx, g))
		}
		must(t, "DeleteUpstreamGrant", s.DeleteUpstreamGrant(ctx, "a1"))
		must(t, "UpdateUpstreamGrant", s.UpdateUpstreamGrant(ctx, "a2", func(g *store.UpstreamGrant) error { g.Version++; return nil }))
		a2.Version++
		got, err = s.UpstreamGrantsOf(ctx, alice)
		must(t, "UpstreamGrantsOf", err)
		if len(got) != 1 {
			t.Fatalf("UpstreamGrantsOf: %d grants, want the one live grant left (a2): %+v", len(got), got)
		}
		wantEqual(t, "UpstreamGrantsOf", got[0], a2)
	}},
}
