package sqlstore

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var personalTokens = (&table[store.PersonalToken]{
	name: "personal_tokens",
	cols: []string{"hash", "id", "subject", "name", "identity", "scopes", "resources", "created_at", "last_used_at", "expires_at"},
	nkey: 1,
	args: func(t *store.PersonalToken) []any {
		return []any{t.Hash, t.ID, t.Identity.Subject, t.Name, jsonVal{t.Identity}, jsonVal{t.Scopes}, jsonVal{t.Resources},
			msVal(t.CreatedAt), msVal(t.LastUsedAt), msVal(t.ExpiresAt)}
	},
	dest: func(t *store.PersonalToken) []any {
		var subject string
		return []any{&t.Hash, &t.ID, &subject, &t.Name, jsonScan{&t.Identity}, jsonScan{&t.Scopes}, jsonScan{&t.Resources},
			msScan{&t.CreatedAt}, msScan{&t.LastUsedAt}, msScan{&t.ExpiresAt}}
	},
}).build()

// CreatePersonalToken implements store.Store.
func (s *Store) CreatePersonalToken(ctx context.Context, t store.PersonalToken) error {
	if err := s.writeStmt(ctx, func(q querier) error { return personalTokens.create(ctx, q, s.nowMS(), &t) }); err != nil {
		return s.fail("create personal token", err)
	}
	return nil
}

// GetPersonalToken implements store.Store.
func (s *Store) GetPersonalToken(ctx context.Context, hash string) (store.PersonalToken, error) {
	t, err := personalTokens.get(ctx, s.reads, s.nowMS(), false, hash)
	if err != nil {
		return store.PersonalToken{}, s.fail("get personal token", err)
	}
	return t, nil
}

// UpdatePersonalToken implements store.Store.
func (s *Store) UpdatePersonalToken(ctx context.Context, hash string, update func(*store.PersonalToken) error) error {
	_, err := runUpdate(ctx, s, "update personal token", personalTokens, []any{hash}, update)
	return err
}

// DeletePersonalToken implements store.Store.
func (s *Store) DeletePersonalToken(ctx context.Context, hash string) error {
	if err := s.writeStmt(ctx, func(q querier) error { return personalTokens.delete(ctx, q, s.nowMS(), hash) }); err != nil {
		return s.fail("delete personal token", err)
	}
	return nil
}

var personalTokensOfSQL = "SELECT " + personalTokens.colList + " FROM personal_tokens WHERE subject = $1 AND " + personalTokens.live(2)

// PersonalTokensOf implements store.Store.
func (s *Store) PersonalTokensOf(ctx context.Context, subject string) ([]store.PersonalToken, error) {
	return listRows(ctx, s, "list personal tokens", personalTokens, personalTokensOfSQL, subject, s.nowMS())
}

var allPersonalTokensSQL = "SELECT " + personalTokens.colList + " FROM personal_tokens WHERE " + personalTokens.live(1) + " ORDER BY subject LIMIT $2"

// AllPersonalTokens implements store.Store.
func (s *Store) AllPersonalTokens(ctx context.Context, limit int) ([]store.PersonalToken, error) {
	return listRows(ctx, s, "list personal tokens", personalTokens, allPersonalTokensSQL, s.nowMS(), limit)
}
