package storetest

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var consentTests = []test{
	{"PutGet", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := consent("alice", "c1")
		must(t, "PutConsent", s.PutConsent(ctx, c))
		got, err := s.GetConsent(ctx, "alice", "c1")
		must(t, "GetConsent", err)
		wantEqual(t, "GetConsent", got, c)

		// Put replaces: a second approval with other scopes wins.
		c.Scopes = []string{"openid"}
		c.CreatedAt = t0.Add(time.Hour)
		c.ExpiresAt = time.Time{}
		must(t, "PutConsent again", s.PutConsent(ctx, c))
		got, err = s.GetConsent(ctx, "alice", "c1")
		must(t, "GetConsent", err)
		wantEqual(t, "GetConsent after replace", got, c)
	}},
	{"KeyIsThePair", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		// Pairs that a naive concatenated key would confuse.
		pairs := []store.Consent{
			consent("a#b", "c"), consent("a", "b#c"),
			consent("ab", "c"), consent("a", "bc"),
			consent("x", "c1"), consent("x", "c2"), consent("y", "c1"),
		}
		for i := range pairs {
			pairs[i].Scopes = []string{"scope-" + pairs[i].Subject + "-" + pairs[i].ClientID}
			must(t, "PutConsent", s.PutConsent(ctx, pairs[i]))
		}
		for _, want := range pairs {
			got, err := s.GetConsent(ctx, want.Subject, want.ClientID)
			must(t, "GetConsent", err)
			wantEqual(t, "GetConsent "+want.Subject+" "+want.ClientID, got, want)
		}
		must(t, "DeleteConsent", s.DeleteConsent(ctx, "x", "c1"))
		_, err := s.GetConsent(ctx, "x", "c1")
		wantErr(t, "GetConsent deleted", err, store.ErrNotFound)
		for _, k := range [][2]string{{"x", "c2"}, {"y", "c1"}} {
			_, err := s.GetConsent(ctx, k[0], k[1])
			must(t, "GetConsent "+k[0]+" "+k[1]+" (not deleted)", err)
		}
	}},
	{"Missing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		_, err := s.GetConsent(ctx, "alice", "c1")
		wantErr(t, "GetConsent", err, store.ErrNotFound)
		wantErr(t, "DeleteConsent", s.DeleteConsent(ctx, "alice", "c1"), store.ErrNotFound)
		must(t, "PutConsent", s.PutConsent(ctx, consent("alice", "c1")))
		must(t, "DeleteConsent", s.DeleteConsent(ctx, "alice", "c1"))
		wantErr(t, "DeleteConsent again", s.DeleteConsent(ctx, "alice", "c1"), store.ErrNotFound)
	}},
	{"Expiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		old := consent("alice", "c1")
		old.ExpiresAt = past
		must(t, "PutConsent expired", s.PutConsent(ctx, old))
		_, err := s.GetConsent(ctx, "alice", "c1")
		wantErr(t, "GetConsent expired", err, store.ErrNotFound)
		wantErr(t, "DeleteConsent expired", s.DeleteConsent(ctx, "alice", "c1"), store.ErrNotFound)

		renewed := consent("alice", "c1")
		must(t, "PutConsent over expired", s.PutConsent(ctx, renewed))
		got, err := s.GetConsent(ctx, "alice", "c1")
		must(t, "GetConsent renewed", err)
		wantEqual(t, "GetConsent renewed", got, renewed)

		forever := consent("bob", "c1")
		forever.ExpiresAt = time.Time{}
		must(t, "PutConsent without expiry", s.PutConsent(ctx, forever))
		got, err = s.GetConsent(ctx, "bob", "c1")
		must(t, "GetConsent without expiry", err)
		wantEqual(t, "GetConsent without expiry", got, forever)
	}},
	{"NoAliasing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := consent("alice", "c1")
		want := consent("alice", "c1")
		must(t, "PutConsent", s.PutConsent(ctx, c))
		c.Scopes[0] = "admin"
		got, err := s.GetConsent(ctx, "alice", "c1")
		must(t, "GetConsent", err)
		wantEqual(t, "GetConsent after caller edited its input", got, want)
		got.Scopes[1] = "admin"
		got, err = s.GetConsent(ctx, "alice", "c1")
		must(t, "GetConsent", err)
		wantEqual(t, "GetConsent after caller edited the result", got, want)
	}},
}
