package storetest

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

func grant(family, user string) store.Grant {
	return store.Grant{
		FamilyID:   family,
		Subject:    identity(user).Subject,
		ClientID:   "https://app.example.com/client.json",
		Scopes:     []string{"mcp", "offline_access"},
		Resource:   "https://mcp.example.com/mcp",
		CreatedAt:  t0,
		LastUsedAt: t0,
		ExpiresAt:  future,
	}
}

var grantTests = []test{
	{"CreateUpdateDelete", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		g := grant("f1", "alice")
		must(t, "CreateGrant", s.CreateGrant(ctx, g))
		wantErr(t, "CreateGrant again", s.CreateGrant(ctx, grant("f1", "mallory")), store.ErrAlreadyExists)
		must(t, "UpdateGrant", s.UpdateGrant(ctx, "f1", func(cur *store.Grant) error {
			wantEqual(t, "updater input", *cur, g)
			cur.LastUsedAt = t0.Add(time.Hour)
			cur.Scopes = []string{"mcp"}
			return nil
		}))
		g.LastUsedAt, g.Scopes = t0.Add(time.Hour), []string{"mcp"}
		err := s.UpdateGrant(ctx, "f1", func(cur *store.Grant) error {
			cur.Scopes[0] = "admin"
			return errUpdater
		})
		wantUpdaterErr(t, "UpdateGrant", err)
		list, err := s.GrantsOf(ctx, g.Subject)
		must(t, "GrantsOf", err)
		if len(list) != 1 {
			t.Fatalf("GrantsOf: %d grants, want 1", len(list))
		}
		wantEqual(t, "GrantsOf after updates", list[0], g)
		wantErr(t, "UpdateGrant missing", s.UpdateGrant(ctx, "nope", func(*store.Grant) error {
			t.Error("updater called for a missing grant")
			return nil
		}), store.ErrNotFound)
		must(t, "DeleteGrant", s.DeleteGrant(ctx, "f1"))
		wantErr(t, "DeleteGrant again", s.DeleteGrant(ctx, "f1"), store.ErrNotFound)
		list, err = s.GrantsOf(ctx, g.Subject)
		must(t, "GrantsOf", err)
		if len(list) != 0 {
			t.Errorf("GrantsOf after delete: %d grants", len(list))
		}
	}},
	{"OfSubjectAndExpiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expired := grant("a3", "alice")
		expired.ExpiresAt = past
		for _, g := range []store.Grant{grant("a1", "alice"), grant("a2", "alice"), expired, grant("b1", "bob")} {
			must(t, "CreateGrant", s.CreateGrant(ctx, g))
		}
		list, err := s.GrantsOf(ctx, identity("alice").Subject)
		must(t, "GrantsOf", err)
		if len(list) != 2 {
			t.Fatalf("GrantsOf: %d grants, want the two live ones of alice", len(list))
		}
		res, err := s.GarbageCollect(ctx, time.Now())
		must(t, "GarbageCollect", err)
		if res.Grants != 1 {
			t.Errorf("GarbageCollect removed %d grants, want 1", res.Grants)
		}
	}},
	{"All", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expired := grant("x1", "carol")
		expired.ExpiresAt = past
		for _, g := range []store.Grant{grant("a1", "alice"), grant("b1", "bob"), grant("b2", "bob"), expired} {
			must(t, "CreateGrant", s.CreateGrant(ctx, g))
		}
		all, err := s.AllGrants(ctx, 100)
		must(t, "AllGrants", err)
		if len(all) != 3 {
			t.Errorf("AllGrants: %d grants, want the 3 live ones", len(all))
		}
		some, err := s.AllGrants(ctx, 2)
		must(t, "AllGrants with a limit", err)
		if len(some) != 2 {
			t.Errorf("AllGrants with limit 2: %d grants", len(some))
		}
	}},
}
