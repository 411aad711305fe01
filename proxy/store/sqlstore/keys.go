package sqlstore

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var signingKeys = (&table[store.SigningKey]{
	name:      "signing_keys",
	cols:      []string{"id", "algorithm", "private_key", "public_key", "created_at", "active_at", "retired_at", "expires_at"},
	nkey:      1,
	zeroLives: true,
	args: func(k *store.SigningKey) []any {
		return []any{k.ID, k.Algorithm, k.PrivateKey, k.PublicKey,
			msVal(k.CreatedAt), msVal(k.ActiveAt), msVal(k.RetiredAt), msVal(k.ExpiresAt)}
	},
	dest: func(k *store.SigningKey) []any {
		return []any{&k.ID, &k.Algorithm, &k.PrivateKey, &k.PublicKey,
			msScan{&k.CreatedAt}, msScan{&k.ActiveAt}, msScan{&k.RetiredAt}, msScan{&k.ExpiresAt}}
	},
}).build()

// listKeysSQL orders NULL (zero) creation times first explicitly because
// SQLite and PostgreSQL disagree on the default; the ID makes ties stable.
var listKeysSQL = "SELECT " + signingKeys.colList + " FROM signing_keys WHERE " + signingKeys.live(1) +
	" ORDER BY created_at NULLS FIRST, id"

// CreateSigningKey implements store.Store.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	if err := s.writeStmt(ctx, func(q querier) error { return signingKeys.create(ctx, q, s.nowMS(), &k) }); err != nil {
		return s.fail("create signing key", err)
	}
	return nil
}

// ListSigningKeys implements store.Store.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := s.reads.QueryContext(ctx, listKeysSQL, s.nowMS())
	if err != nil {
		return nil, s.fail("list signing keys", err)
	}
	defer rows.Close()
	var list []store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		if err := rows.Scan(signingKeys.dest(&k)...); err != nil {
			return nil, s.fail("list signing keys", err)
		}
		list = append(list, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("list signing keys", err)
	}
	return list, nil
}

// UpdateSigningKey implements store.Store.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, update func(*store.SigningKey) error) error {
	_, err := runUpdate(ctx, s, "update signing key", signingKeys, []any{id}, update)
	return err
}
