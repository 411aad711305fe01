package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var authCodes = (&table[store.AuthCode]{
	name: "auth_codes",
	cols: []string{"hash", "client_id", "redirect_uri", "scopes", "resource",
		"code_challenge", "code_challenge_method", "identity", "auth_time",
		"redeemed", "family_id", "created_at", "expires_at"},
	nkey: 1,
	args: func(c *store.AuthCode) []any {
		return []any{c.Hash, c.ClientID, c.RedirectURI, jsonVal{c.Scopes}, c.Resource,
			c.CodeChallenge, c.CodeChallengeMethod, jsonVal{c.Identity}, msVal(c.AuthTime),
			c.Redeemed, c.FamilyID, msVal(c.CreatedAt), msVal(c.ExpiresAt)}
	},
	dest: func(c *store.AuthCode) []any {
		return []any{&c.Hash, &c.ClientID, &c.RedirectURI, jsonScan{&c.Scopes}, &c.Resource,
			&c.CodeChallenge, &c.CodeChallengeMethod, jsonScan{&c.Identity}, msScan{&c.AuthTime},
			&c.Redeemed, &c.FamilyID, msScan{&c.CreatedAt}, msScan{&c.ExpiresAt}}
	},
}).build()

// CreateAuthCode implements store.Store.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	if err := s.writeStmt(ctx, func(q querier) error { return authCodes.create(ctx, q, s.nowMS(), &c) }); err != nil {
		return s.fail("create auth code", err)
	}
	return nil
}

// The conditional writes of a redemption: the code is marked redeemed
// only if nobody redeemed it since it was read. $1 the family, $2 the
// hash, $3 now.
var (
	redeemCond    = "UPDATE auth_codes SET redeemed = TRUE, family_id = $1 WHERE hash = $2 AND NOT redeemed AND " + authCodes.live(3)
	redeemCodeSQL = redeemCond
	// redeemWithTokenSQL also saves the grant's first refresh token, in
	// the same statement ($4..$14), on ModifyingCTE engines.
	redeemWithTokenSQL = "WITH c AS (" + redeemCond + " RETURNING hash) INSERT INTO refresh_tokens (" +
		refreshTokens.colList + ") SELECT " + placeholders(4, len(refreshTokens.cols)) + " FROM c"
)

// RedeemAuthCode implements store.Store, optimistically like
// RotateRefreshToken: read, let redeem decide, write if the code is still
// unredeemed; a concurrent redemption makes it read again, and redeem then
// sees the code redeemed.
func (s *Store) RedeemAuthCode(ctx context.Context, hash string, redeem func(store.AuthCode) (*store.RefreshToken, error)) error {
	if err := s.redeem(ctx, hash, redeem); err != nil {
		if ce := callerErr(err); ce != nil {
			return ce
		}
		return s.fail("redeem auth code", err)
	}
	return nil
}

func (s *Store) redeem(ctx context.Context, hash string, redeem func(store.AuthCode) (*store.RefreshToken, error)) error {
	for range maxOptimisticTries {
		code, err := authCodes.get(ctx, s.reads, s.nowMS(), false, hash)
		if err != nil {
			return err
		}
		rt, err := redeem(code)
		if err != nil {
			return callerError{err}
		}
		if rt == nil || code.Redeemed {
			return store.ErrAlreadyExists
		}
		if s.d.ModifyingCTE {
			args := append([]any{rt.FamilyID, hash, s.nowMS()}, refreshTokens.args(rt)...)
			n, err := rowsAffected(s.db.ExecContext(ctx, redeemWithTokenSQL, args...))
			if err != nil || n == 1 {
				return err
			}
			continue
		}
		err = s.write(ctx, func(q querier) error {
			n, err := rowsAffected(q.ExecContext(ctx, redeemCodeSQL, rt.FamilyID, hash, s.nowMS()))
			switch {
			case err != nil:
				return err
			case n == 0:
				return errChanged
			}
			// A taken token hash fails the job, which undoes the mark.
			return refreshTokens.create(ctx, q, s.nowMS(), rt)
		})
		if !errors.Is(err, errChanged) {
			return err
		}
	}
	return fmt.Errorf("%w: the code kept changing during its redemption", store.ErrUnavailable)
}

// maxOptimisticTries bounds the reads and conditional writes of one
// redemption or rotation: each retry means another request changed the
// record meanwhile, which a handful of concurrent retries of one token
// explain, and a storm of them should fail rather than spin.
const maxOptimisticTries = 8
