package sqlstore

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// GarbageCollect implements store.Store. One transaction, so that a failure
// removes nothing and the counts describe what was really removed.
func (s *Store) GarbageCollect(ctx context.Context, now time.Time) (store.GCResult, error) {
	var r store.GCResult
	err := s.write(ctx, func(tx querier) error {
		var err error
		for _, step := range []struct {
			n  *int64
			gc func(context.Context, querier, time.Time) (int64, error)
		}{
			{&r.Clients, clients.gc},
			{&r.AuthRequests, authRequests.gc},
			{&r.AuthCodes, authCodes.gc},
			{&r.RefreshTokens, refreshTokens.gc},
			{&r.Consents, consents.gc},
			{&r.SigningKeys, signingKeys.gc},
			{&r.Claims, gcClaims},
			{&r.Revocations, gcTable("revocations")},
			{&r.Counters, gcTable("counters")},
			{&r.UpstreamGrants, upstreamGrants.gc},
			{&r.PersonalTokens, personalTokens.gc},
			{&r.Grants, grants.gc},
		} {
			if *step.n, err = step.gc(ctx, tx, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return store.GCResult{}, s.fail("garbage collect", err)
	}
	return r, nil
}

// gcTable removes the expired rows of a table whose expires_at is never
// NULL.
func gcTable(name string) func(context.Context, querier, time.Time) (int64, error) {
	query := "DELETE FROM " + name + " WHERE expires_at < $1"
	return func(ctx context.Context, q querier, now time.Time) (int64, error) {
		return rowsAffected(q.ExecContext(ctx, query, now.UnixMilli()))
	}
}
