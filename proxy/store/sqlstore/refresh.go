package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var refreshTokens = (&table[store.RefreshToken]{
	name: "refresh_tokens",
	cols: []string{"hash", "family_id", "client_id", "scopes", "resource", "identity",
		"auth_time", "family_expires_at", "rotated_at", "created_at", "expires_at"},
	nkey: 1,
	args: func(t *store.RefreshToken) []any {
		return []any{t.Hash, t.FamilyID, t.ClientID, jsonVal{t.Scopes}, t.Resource, jsonVal{t.Identity},
			msVal(t.AuthTime), msVal(t.FamilyExpiresAt), msVal(t.RotatedAt), msVal(t.CreatedAt), msVal(t.ExpiresAt)}
	},
	dest: func(t *store.RefreshToken) []any {
		return []any{&t.Hash, &t.FamilyID, &t.ClientID, jsonScan{&t.Scopes}, &t.Resource, jsonScan{&t.Identity},
			msScan{&t.AuthTime}, msScan{&t.FamilyExpiresAt}, msScan{&t.RotatedAt}, msScan{&t.CreatedAt}, msScan{&t.ExpiresAt}}
	},
}).build()

// CreateRefreshToken implements store.Store.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if err := refreshTokens.create(ctx, s.db, &t); err != nil {
		return s.fail("create refresh token", err)
	}
	return nil
}

// GetRefreshToken implements store.Store.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	t, err := refreshTokens.get(ctx, s.db, false, hash)
	if err != nil {
		return store.RefreshToken{}, s.fail("get refresh token", err)
	}
	return t, nil
}

// RotateRefreshToken implements store.Store. The successor is inserted in
// the transaction that updates the current token, so a crash or a losing
// concurrent rotation leaves either both writes or neither.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, rotate func(current *store.RefreshToken) (successor *store.RefreshToken, err error)) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var succ *store.RefreshToken
		_, err := modify(ctx, s, tx, refreshTokens, []any{hash}, func(cur *store.RefreshToken) error {
			var err error
			succ, err = rotate(cur)
			return err
		})
		if err != nil || succ == nil {
			return err
		}
		return refreshTokens.create(ctx, tx, succ)
	})
	if err != nil {
		if ce := callerErr(err); ce != nil {
			return ce
		}
		return s.fail("rotate refresh token", err)
	}
	return nil
}

// RevokeRefreshFamily implements store.Store. Expired tokens of the family
// go too: nothing is gained by leaving them to GarbageCollect.
//
// The DELETE is repeated until it finds nothing. On PostgreSQL (READ
// COMMITTED) a DELETE that waits for a rotation in flight deletes the
// rotated token but cannot see the successor the rotation inserted, which
// would keep the revoked family alive; the next DELETE, with a fresh
// snapshot, sees it. Once a DELETE finds no token, no rotation can add
// one: a rotation must lock a token of the family, which that DELETE would
// have found. Each round removes tokens, so rounds are few; on SQLite the
// second round is a cheap no-op.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string) error {
	for range maxRevokeRounds {
		n, err := rowsAffected(s.db.ExecContext(ctx, "DELETE FROM refresh_tokens WHERE family_id = $1", familyID))
		if err != nil {
			return s.fail("revoke refresh family", err)
		}
		if n == 0 {
			return nil
		}
	}
	// The caller may retry: a later revocation takes what this one left.
	return s.fail("revoke refresh family", fmt.Errorf("%w: tokens still appearing after %d rounds", store.ErrUnavailable, maxRevokeRounds))
}

// maxRevokeRounds stops a revocation that keeps finding tokens, which only
// a rotation storm in the family (an attack being revoked) could cause.
const maxRevokeRounds = 10
