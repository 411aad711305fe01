package storetest

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var authRequestTests = []test{
	{"CreateGet", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r := authRequest("r1")
		must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
		got, err := s.GetAuthRequest(ctx, "r1")
		must(t, "GetAuthRequest", err)
		wantEqual(t, "GetAuthRequest", got, r)

		// Before the callback there is no identity: nil must stay nil.
		pending := authRequest("r2")
		pending.Identity = nil
		pending.ConsentGiven = false
		must(t, "CreateAuthRequest without identity", s.CreateAuthRequest(ctx, pending))
		got, err = s.GetAuthRequest(ctx, "r2")
		must(t, "GetAuthRequest without identity", err)
		wantEqual(t, "GetAuthRequest without identity", got, pending)
	}},
	{"CreateDuplicate", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r := authRequest("r1")
		must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
		other := authRequest("r1")
		other.State = "other"
		wantErr(t, "CreateAuthRequest again", s.CreateAuthRequest(ctx, other), store.ErrAlreadyExists)
		got, err := s.GetAuthRequest(ctx, "r1")
		must(t, "GetAuthRequest", err)
		wantEqual(t, "GetAuthRequest after duplicate", got, r)
	}},
	{"Missing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		_, err := s.GetAuthRequest(ctx, "nope")
		wantErr(t, "GetAuthRequest", err, store.ErrNotFound)
		err = s.UpdateAuthRequest(ctx, "nope", func(*store.AuthRequest) error {
			t.Error("updater called for a missing request")
			return nil
		})
		wantErr(t, "UpdateAuthRequest", err, store.ErrNotFound)
		wantErr(t, "DeleteAuthRequest", s.DeleteAuthRequest(ctx, "nope"), store.ErrNotFound)
	}},
	{"Update", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r := authRequest("r1")
		r.Identity = nil
		r.ConsentGiven = false
		must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
		ident := identity("dave")
		apply := func(r *store.AuthRequest) {
			r.ConsentGiven = true
			r.UpstreamStateHash = "new-state-hash"
			r.Identity = &ident
			r.Scopes = []string{"openid"}
		}
		must(t, "UpdateAuthRequest", s.UpdateAuthRequest(ctx, "r1", func(cur *store.AuthRequest) error {
			wantEqual(t, "updater input", *cur, r)
			apply(cur)
			return nil
		}))
		apply(&r)
		got, err := s.GetAuthRequest(ctx, "r1")
		must(t, "GetAuthRequest", err)
		wantEqual(t, "GetAuthRequest after update", got, r)

		// And back to no identity.
		must(t, "UpdateAuthRequest clear identity", s.UpdateAuthRequest(ctx, "r1", func(cur *store.AuthRequest) error {
			cur.Identity = nil
			return nil
		}))
		r.Identity = nil
		got, err = s.GetAuthRequest(ctx, "r1")
		must(t, "GetAuthRequest", err)
		wantEqual(t, "GetAuthRequest after clearing identity", got, r)
	}},
	{"UpdaterError", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r := authRequest("r1")
		must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
		err := s.UpdateAuthRequest(ctx, "r1", func(cur *store.AuthRequest) error {
			cur.ConsentGiven = false
			cur.Identity.Groups[0] = "root"
			cur.Identity.Subject = "mallory"
			cur.Scopes[0] = "admin"
			return errUpdater
		})
		wantUpdaterErr(t, "UpdateAuthRequest", err)
		got, err := s.GetAuthRequest(ctx, "r1")
		must(t, "GetAuthRequest", err)
		wantEqual(t, "GetAuthRequest after failed update", got, r)
	}},
	{"UpdaterChangesKey", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r := authRequest("r1")
		must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
		err := s.UpdateAuthRequest(ctx, "r1", func(cur *store.AuthRequest) error {
			cur.ID = "r2"
			return nil
		})
		if err == nil {
			t.Error("UpdateAuthRequest changing the ID: got no error")
		}
		got, err := s.GetAuthRequest(ctx, "r1")
		must(t, "GetAuthRequest", err)
		wantEqual(t, "GetAuthRequest after refused update", got, r)
		_, err = s.GetAuthRequest(ctx, "r2")
		wantErr(t, "GetAuthRequest under the new ID", err, store.ErrNotFound)
	}},
	{"Delete", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, "CreateAuthRequest r1", s.CreateAuthRequest(ctx, authRequest("r1")))
		must(t, "CreateAuthRequest r2", s.CreateAuthRequest(ctx, authRequest("r2")))
		must(t, "DeleteAuthRequest", s.DeleteAuthRequest(ctx, "r1"))
		_, err := s.GetAuthRequest(ctx, "r1")
		wantErr(t, "GetAuthRequest deleted", err, store.ErrNotFound)
		// A second consumer of the same request must learn it lost.
		wantErr(t, "DeleteAuthRequest again", s.DeleteAuthRequest(ctx, "r1"), store.ErrNotFound)
		_, err = s.GetAuthRequest(ctx, "r2")
		must(t, "GetAuthRequest r2 (not deleted)", err)
	}},
	{"Expiry", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expired := authRequest("old")
		expired.ExpiresAt = past
		noExpiry := authRequest("zero")
		noExpiry.ExpiresAt = time.Time{}
		for _, r := range []store.AuthRequest{expired, noExpiry} {
			must(t, "CreateAuthRequest "+r.ID, s.CreateAuthRequest(ctx, r))
			_, err := s.GetAuthRequest(ctx, r.ID)
			wantErr(t, "GetAuthRequest "+r.ID, err, store.ErrNotFound)
			err = s.UpdateAuthRequest(ctx, r.ID, func(*store.AuthRequest) error {
				t.Errorf("updater called for expired request %s", r.ID)
				return nil
			})
			wantErr(t, "UpdateAuthRequest "+r.ID, err, store.ErrNotFound)
			wantErr(t, "DeleteAuthRequest "+r.ID, s.DeleteAuthRequest(ctx, r.ID), store.ErrNotFound)
		}
		fresh := authRequest("old")
		must(t, "CreateAuthRequest over expired", s.CreateAuthRequest(ctx, fresh))
		got, err := s.GetAuthRequest(ctx, "old")
		must(t, "GetAuthRequest replaced", err)
		wantEqual(t, "GetAuthRequest replaced", got, fresh)
	}},
	{"NoAliasing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r := authRequest("r1")
		want := authRequest("r1")
		must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
		r.Identity.Groups[0] = "root"
		r.Identity.Subject = "mallory"
		r.Scopes[0] = "admin"

		got, err := s.GetAuthRequest(ctx, "r1")
		must(t, "GetAuthRequest", err)
		wantEqual(t, "GetAuthRequest after caller edited its input", got, want)
		got.Identity.Groups[0] = "root"
		got.Identity.Email = "mallory@example.com"

		var kept *store.AuthRequest
		must(t, "UpdateAuthRequest", s.UpdateAuthRequest(ctx, "r1", func(cur *store.AuthRequest) error {
			kept = cur
			return nil
		}))
		kept.Identity.Groups[1] = "root"
		kept.Scopes[0] = "admin"

		got, err = s.GetAuthRequest(ctx, "r1")
		must(t, "GetAuthRequest", err)
		wantEqual(t, "GetAuthRequest after caller edited returned records", got, want)
	}},
}
