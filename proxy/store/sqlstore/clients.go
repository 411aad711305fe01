package sqlstore

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var clients = (&table[store.Client]{
	name: "clients",
	cols: []string{"id", "secret_hash", "name", "redirect_uris", "grant_types", "response_types",
		"token_endpoint_auth_method", "application_type", "scope", "client_uri", "logo_uri", "source",
		"created_at", "expires_at"},
	nkey:      1,
	zeroLives: true,
	args: func(c *store.Client) []any {
		return []any{c.ID, c.SecretHash, c.Name, jsonVal{c.RedirectURIs}, jsonVal{c.GrantTypes}, jsonVal{c.ResponseTypes},
			c.TokenEndpointAuthMethod, c.ApplicationType, c.Scope, c.ClientURI, c.LogoURI, c.Source,
			msVal(c.CreatedAt), msVal(c.ExpiresAt)}
	},
	dest: func(c *store.Client) []any {
		return []any{&c.ID, &c.SecretHash, &c.Name, jsonScan{&c.RedirectURIs}, jsonScan{&c.GrantTypes}, jsonScan{&c.ResponseTypes},
			&c.TokenEndpointAuthMethod, &c.ApplicationType, &c.Scope, &c.ClientURI, &c.LogoURI, &c.Source,
			msScan{&c.CreatedAt}, msScan{&c.ExpiresAt}}
	},
}).build()

// CreateClient implements store.Store.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	if err := s.writeStmt(ctx, func(q querier) error { return clients.create(ctx, q, s.nowMS(), &c) }); err != nil {
		return s.fail("create client", err)
	}
	return nil
}

// GetClient implements store.Store.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	c, err := clients.get(ctx, s.reads, s.nowMS(), false, id)
	if err != nil {
		return store.Client{}, s.fail("get client", err)
	}
	return c, nil
}

// UpdateClient implements store.Store.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*store.Client) error) error {
	_, err := runUpdate(ctx, s, "update client", clients, []any{id}, update)
	return err
}

// DeleteClient implements store.Store.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := s.writeStmt(ctx, func(q querier) error { return clients.delete(ctx, q, s.nowMS(), id) }); err != nil {
		return s.fail("delete client", err)
	}
	return nil
}
