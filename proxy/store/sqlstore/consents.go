package sqlstore

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var consents = (&table[store.Consent]{
	name:      "consents",
	cols:      []string{"subject", "client_id", "scopes", "resources", "created_at", "expires_at"},
	nkey:      2,
	zeroLives: true,
	args: func(c *store.Consent) []any {
		return []any{c.Subject, c.ClientID, jsonVal{c.Scopes}, jsonVal{c.Resources}, msVal(c.CreatedAt), msVal(c.ExpiresAt)}
	},
	dest: func(c *store.Consent) []any {
		return []any{&c.Subject, &c.ClientID, jsonScan{&c.Scopes}, jsonScan{&c.Resources}, msScan{&c.CreatedAt}, msScan{&c.ExpiresAt}}
	},
}).build()

// putConsentSQL replaces unconditionally: a new approval supersedes the old
// one whether or not it has expired.
const putConsentSQL = `INSERT INTO consents (subject, client_id, scopes, resources, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (subject, client_id) DO UPDATE SET
	scopes = excluded.scopes, resources = excluded.resources, created_at = excluded.created_at, expires_at = excluded.expires_at`

// PutConsent implements store.Store.
func (s *Store) PutConsent(ctx context.Context, c store.Consent) error {
	if _, err := s.exec(ctx, putConsentSQL, consents.args(&c)...); err != nil {
		return s.fail("put consent", err)
	}
	return nil
}

// GetConsent implements store.Store.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	c, err := consents.get(ctx, s.reads, s.nowMS(), false, subject, clientID)
	if err != nil {
		return store.Consent{}, s.fail("get consent", err)
	}
	return c, nil
}

// DeleteConsent implements store.Store.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	if err := s.writeStmt(ctx, func(q querier) error { return consents.delete(ctx, q, s.nowMS(), subject, clientID) }); err != nil {
		return s.fail("delete consent", err)
	}
	return nil
}
