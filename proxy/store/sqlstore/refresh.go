package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var refreshTokens = (&table[store.RefreshToken]{
	name: "refresh_tokens",
	cols: []string{"hash", "family_id", "client_id", "scopes", "resource", "identity",
		"auth_time", "family_expires_at", "rotated_at", "created_at", "dpop_jkt", "expires_at"},
	nkey: 1,
	args: func(t *store.RefreshToken) []any {
		return []any{t.Hash, t.FamilyID, t.ClientID, jsonVal{t.Scopes}, t.Resource, jsonVal{t.Identity},
			msVal(t.AuthTime), msVal(t.FamilyExpiresAt), msVal(t.RotatedAt), msVal(t.CreatedAt), t.DPoPJKT, msVal(t.ExpiresAt)}
	},
	dest: func(t *store.RefreshToken) []any {
		return []any{&t.Hash, &t.FamilyID, &t.ClientID, jsonScan{&t.Scopes}, &t.Resource, jsonScan{&t.Identity},
			msScan{&t.AuthTime}, msScan{&t.FamilyExpiresAt}, msScan{&t.RotatedAt}, msScan{&t.CreatedAt}, &t.DPoPJKT, msScan{&t.ExpiresAt}}
	},
}).build()

// The conditional writes of an optimistic rotation: the current token is
// rewritten only if it is still live and its rotated_at is what the
// rotation read (rotations are the only thing that changes a token), and
// the successor is inserted in the same statement. With n columns,
// $1..$n are the current token's columns, $n+1 the rotated_at read, $n+2
// now.
var (
	refreshCols = len(refreshTokens.cols)
	rotateCond  = " WHERE hash = $1 AND rotated_at IS NOT DISTINCT FROM $" + strconv.Itoa(refreshCols+1) + " AND " + refreshTokens.live(refreshCols+2)
	rotateSQL   = refreshTokens.updateSQL[:strings.Index(refreshTokens.updateSQL, " WHERE ")] + rotateCond
	// rotateWithSuccessorSQL adds the successor's columns as $n+3 on.
	rotateWithSuccessorSQL = "WITH cur AS (" + rotateSQL + " RETURNING hash) INSERT INTO refresh_tokens (" +
		refreshTokens.colList + ") SELECT " + placeholders(refreshCols+3, refreshCols) + " FROM cur"
)

// CreateRefreshToken implements store.Store.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if err := s.writeStmt(ctx, func(q querier) error { return refreshTokens.create(ctx, q, s.nowMS(), &t) }); err != nil {
		return s.fail("create refresh token", err)
	}
	return nil
}

// GetRefreshToken implements store.Store.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	t, err := refreshTokens.get(ctx, s.reads, s.nowMS(), false, hash)
	if err != nil {
		return store.RefreshToken{}, s.fail("get refresh token", err)
	}
	return t, nil
}

type rotateFunc = func(current *store.RefreshToken) (successor *store.RefreshToken, err error)

// RotateRefreshToken implements store.Store, optimistically: the token is
// read without a lock, rotate decides, and the write is conditional on
// the token being unchanged (see rotateCond); a concurrent rotation or
// revocation makes it read again. The successor is written in the same
// statement or transaction as the current token, so a crash or a losing
// rotation leaves either both writes or neither. No lock is held while
// rotate runs, and the write is one round trip (one statement with
// ModifyingCTE) or one job of the writer's group commit.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, rotate rotateFunc) error {
	err := s.rotate(ctx, hash, rotate)
	if err != nil {
		if ce := callerErr(err); ce != nil {
			return ce
		}
		return s.fail("rotate refresh token", err)
	}
	return nil
}

func (s *Store) rotate(ctx context.Context, hash string, rotate rotateFunc) error {
	for range maxOptimisticTries {
		cur, err := refreshTokens.get(ctx, s.reads, s.nowMS(), false, hash)
		if err != nil {
			return err
		}
		seen := msVal(cur.RotatedAt)
		succ, err := rotate(&cur)
		if err != nil {
			return callerError{err}
		}
		if cur.Hash != hash {
			return errKeyChanged
		}
		if succ != nil && succ.Hash == hash {
			return store.ErrAlreadyExists
		}
		args := append(refreshTokens.args(&cur), seen, s.nowMS())
		if s.d.ModifyingCTE {
			query := rotateSQL
			if succ != nil {
				query = rotateWithSuccessorSQL
				args = append(args, refreshTokens.args(succ)...)
			}
			n, err := rowsAffected(s.db.ExecContext(ctx, query, args...))
			if err != nil || n == 1 {
				return err
			}
			continue
		}
		err = s.write(ctx, func(q querier) error {
			n, err := rowsAffected(q.ExecContext(ctx, rotateSQL, args...))
			switch {
			case err != nil:
				return err
			case n == 0:
				return errChanged
			case succ != nil:
				// A taken successor fails the job, which undoes the
				// update above.
				return refreshTokens.create(ctx, q, s.nowMS(), succ)
			}
			return nil
		})
		if !errors.Is(err, errChanged) {
			return err
		}
	}
	return fmt.Errorf("%w: the token kept changing during its rotation", store.ErrUnavailable)
}

// errChanged: a conditional write found its record changed since it was
// read; the operation reads again.
var errChanged = errors.New("the record changed since it was read")

// RevokeGrant implements store.Store. Expired tokens of the family go too:
// nothing is gained by leaving them to GarbageCollect. The revocation is
// recorded first, so that a revocation failing half-way still reaches the
// access tokens.
//
// The DELETE is repeated until it finds nothing. On PostgreSQL (READ
// COMMITTED) a DELETE that waits for a rotation in flight deletes the
// rotated token but cannot see the successor the rotation inserted, which
// would keep the revoked family alive; the next DELETE, with a fresh
// snapshot, sees it. Once a DELETE finds no token, no rotation can add
// one: a rotation must rewrite a token of the family, which that DELETE
// would have found. Each round removes tokens, so rounds are few; on
// SQLite the second round is a cheap no-op.
func (s *Store) RevokeGrant(ctx context.Context, r store.Revocation) error {
	err := s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.revokeSQL(), r.FamilyID, r.RevokedAt.UnixMilli(), r.ExpiresAt.UnixMilli()); err != nil {
			return err
		}
		for range maxRevokeRounds {
			n, err := rowsAffected(q.ExecContext(ctx, "DELETE FROM refresh_tokens WHERE family_id = $1", r.FamilyID))
			if err != nil || n == 0 {
				return err
			}
		}
		// The caller may retry: a later revocation takes what this one left.
		return fmt.Errorf("%w: tokens still appearing after %d rounds", store.ErrUnavailable, maxRevokeRounds)
	})
	if err != nil {
		return s.fail("revoke grant", err)
	}
	return nil
}

// maxRevokeRounds stops a revocation that keeps finding tokens, which only
// a rotation storm in the family (an attack being revoked) could cause.
const maxRevokeRounds = 10

// revokeSQL records a revocation; revoking again makes it newer and keeps
// it for as long as the longer of the two asks.
func (s *Store) revokeSQL() string {
	return `INSERT INTO revocations (family_id, revoked_at, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (family_id) DO UPDATE SET revoked_at = excluded.revoked_at,
	expires_at = ` + s.d.Greatest + `(revocations.expires_at, excluded.expires_at)`
}

// Revocations implements store.Store.
func (s *Store) Revocations(ctx context.Context, since time.Time) ([]store.Revocation, error) {
	rows, err := s.reads.QueryContext(ctx,
		"SELECT family_id, revoked_at, expires_at FROM revocations WHERE revoked_at >= $1 AND expires_at >= $2",
		since.UnixMilli(), s.nowMS())
	if err != nil {
		return nil, s.fail("list revocations", err)
	}
	defer rows.Close()
	var out []store.Revocation
	for rows.Next() {
		var r store.Revocation
		if err := rows.Scan(&r.FamilyID, msScan{&r.RevokedAt}, msScan{&r.ExpiresAt}); err != nil {
			return nil, s.fail("list revocations", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("list revocations", err)
	}
	return out, nil
}

// incrementSQL counts in one statement; an expired counter starts again.
// $1 key, $2 the expiry of a new counter, $3 now.
const incrementSQL = `INSERT INTO counters (key, n, expires_at) VALUES ($1, 1, $2)
ON CONFLICT (key) DO UPDATE SET
	n = CASE WHEN counters.expires_at < $3 THEN 1 ELSE counters.n + 1 END,
	expires_at = CASE WHEN counters.expires_at < $3 THEN excluded.expires_at ELSE counters.expires_at END
RETURNING n`

// Increment implements store.Store.
func (s *Store) Increment(ctx context.Context, key string, expiresAt time.Time) (int64, error) {
	var n int64
	err := s.writeStmt(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, incrementSQL, key, expiresAt.UnixMilli(), s.nowMS()).Scan(&n)
	})
	if err != nil {
		return 0, s.fail("increment", err)
	}
	return n, nil
}
