package storetest

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

func personalToken(hash, user string) store.PersonalToken {
	id := identity(user)
	id.UpstreamGrant = "upstream-" + user
	return store.PersonalToken{
		Hash:       hash,
		ID:         "id-" + hash,
		Name:       "CI job «" + hash + "»",
		Identity:   id,
		Scopes:     []string{"mcp", "mcp:write"},
		Resources:  []string{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp/files"},
		CreatedAt:  t0,
		LastUsedAt: t0,
		ExpiresAt:  future,
	}
}

var personalTokenTests = []test{
	{"CreateGet", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		p := personalToken("h1", "alice")
		must(t, "CreatePersonalToken", s.CreatePersonalToken(ctx, p))
		got, err := s.GetPersonalToken(ctx, "h1")
		must(t, "GetPersonalToken", err)
		wantEqual(t, "GetPersonalToken", got, p)
		wantErr(t, "CreatePersonalToken again", s.CreatePersonalToken(ctx, personalToken("h1", "mallory")), store.ErrAlreadyExists)
		got, err = s.GetPersonalToken(ctx, "h1")
		must(t, "GetPersonalToken", err)
		wantEqual(t, "GetPersonalToken after a refused create", got, p)
		_, err = s.GetPersonalToken(ctx, "h2")
		wantErr(t, "GetPersonalToken missing", err, store.ErrNotFound)
	}},
	{"Update", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		p := personalToken("h1", "alice")
		must(t, "CreatePersonalToken", s.CreatePersonalToken(ctx, p))
		use := func(p *store.PersonalToken) {
			p.LastUsedAt = t0.Add(time.Hour)
			p.Identity.Groups = []string{"eng"}
		}
		must(t, "UpdatePersonalToken", s.UpdatePersonalToken(ctx, "h1", func(cur *store.PersonalToken) error {
			wantEqual(t, "updater input", *cur, p)
			use(cur)
			return nil
		}))
		use(&p)
		got, err := s.GetPersonalToken(ctx, "h1")
		must(t, "GetPersonalToken", err)
		wantEqual(t, "GetPersonalToken after update", got, p)
		err = s.UpdatePersonalToken(ctx, "h1", func(cur *store.PersonalToken) error {
			cur.Scopes[0] = "admin"
			return errUpdater
		})
		wantUpdaterErr(t, "UpdatePersonalToken", err)
		got, err = s.GetPersonalToken(ctx, "h1")
		must(t, "GetPersonalToken", err)
		wantEqual(t, "GetPersonalToken after a refused update", got, p)
		err = s.UpdatePersonalToken(ctx, "nope", func(*store.PersonalToken) error {
			t.Error("updater called for a missing token")
			return nil
		})
		wantErr(t, "UpdatePersonalToken missing", err, store.ErrNotFound)
	}},
	{"DeleteAndExpiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wantErr(t, "DeletePersonalToken missing", s.DeletePersonalToken(ctx, "h1"), store.ErrNotFound)
		must(t, "CreatePersonalToken", s.CreatePersonalToken(ctx, personalToken("h1", "alice")))
		must(t, "DeletePersonalToken", s.DeletePersonalToken(ctx, "h1"))
		_, err := s.GetPersonalToken(ctx, "h1")
		wantErr(t, "GetPersonalToken deleted", err, store.ErrNotFound)

		expired := personalToken("h2", "alice")
		expired.ExpiresAt = past
		must(t, "CreatePersonalToken expired", s.CreatePersonalToken(ctx, expired))
		_, err = s.GetPersonalToken(ctx, "h2")
		wantErr(t, "GetPersonalToken expired", err, store.ErrNotFound)
		expired.Hash = "h3"
		must(t, "CreatePersonalToken expired", s.CreatePersonalToken(ctx, expired))
		must(t, "CreatePersonalToken", s.CreatePersonalToken(ctx, personalToken("h4", "alice")))
		res, err := s.GarbageCollect(ctx, time.Now())
		must(t, "GarbageCollect", err)
		if res.PersonalTokens != 2 {
			t.Errorf("GarbageCollect removed %d personal tokens, want 2", res.PersonalTokens)
		}
		_, err = s.GetPersonalToken(ctx, "h4")
		must(t, "GetPersonalToken (live, not collected)", err)
	}},
	{"OfSubject", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		alice := identity("alice").Subject
		got, err := s.PersonalTokensOf(ctx, alice)
		must(t, "PersonalTokensOf with none", err)
		if len(got) != 0 {
			t.Fatalf("PersonalTokensOf with none: %d tokens", len(got))
		}
		a1, a2, a3 := personalToken("a1", "alice"), personalToken("a2", "alice"), personalToken("a3", "alice")
		a3.ExpiresAt = past
		for _, p := range []store.PersonalToken{a1, a2, a3, personalToken("b1", "bob")} {
			must(t, "CreatePersonalToken", s.CreatePersonalToken(ctx, p))
		}
		must(t, "DeletePersonalToken", s.DeletePersonalToken(ctx, "a1"))
		got, err = s.PersonalTokensOf(ctx, alice)
		must(t, "PersonalTokensOf", err)
		if len(got) != 1 {
			t.Fatalf("PersonalTokensOf: %d tokens, want the one live token left (a2): %+v", len(got), got)
		}
		wantEqual(t, "PersonalTokensOf", got[0], a2)
	}},
	{"All", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expired := personalToken("x1", "carol")
		expired.ExpiresAt = past
		for _, p := range []store.PersonalToken{personalToken("a1", "alice"), personalToken("b1", "bob"), expired} {
			must(t, "CreatePersonalToken", s.CreatePersonalToken(ctx, p))
		}
		all, err := s.AllPersonalTokens(ctx, 100)
		must(t, "AllPersonalTokens", err)
		if len(all) != 2 {
			t.Errorf("AllPersonalTokens: %d tokens, want the 2 live ones", len(all))
		}
		some, err := s.AllPersonalTokens(ctx, 1)
		must(t, "AllPersonalTokens with a limit", err)
		if len(some) != 1 {
			t.Errorf("AllPersonalTokens with limit 1: %d tokens", len(some))
		}
	}},
}
