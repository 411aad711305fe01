package sqlstore

import (
	"context"

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
	if err := authCodes.create(ctx, s.db, &c); err != nil {
		return s.fail("create auth code", err)
	}
	return nil
}

// UpdateAuthCode implements store.Store.
func (s *Store) UpdateAuthCode(ctx context.Context, hash string, update func(*store.AuthCode) error) (store.AuthCode, error) {
	return runUpdate(ctx, s, "update auth code", authCodes, []any{hash}, update)
}
