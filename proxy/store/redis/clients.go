package redis

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

type clientWire struct {
	ID                      string   `json:"id"`
	SecretHash              string   `json:"secret_hash,omitempty"`
	Name                    string   `json:"name,omitempty"`
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	ApplicationType         string   `json:"application_type,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	Source                  string   `json:"source,omitempty"`
	CreatedAt               *int64   `json:"created_at,omitempty"`
	ExpiresAt               *int64   `json:"expires_at,omitempty"`
}

var clients = kind[store.Client, clientWire]{
	name:      "client",
	tag:       "client",
	id:        func(c store.Client) string { return c.ID },
	expires:   func(c store.Client) time.Time { return c.ExpiresAt },
	zeroLives: true,
	toWire: func(c store.Client) clientWire {
		return clientWire{
			ID:                      c.ID,
			SecretHash:              c.SecretHash,
			Name:                    c.Name,
			RedirectURIs:            c.RedirectURIs,
			GrantTypes:              c.GrantTypes,
			ResponseTypes:           c.ResponseTypes,
			TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
			ApplicationType:         c.ApplicationType,
			Scope:                   c.Scope,
			ClientURI:               c.ClientURI,
			LogoURI:                 c.LogoURI,
			Source:                  c.Source,
			CreatedAt:               toMillis(c.CreatedAt),
			ExpiresAt:               toMillis(c.ExpiresAt),
		}
	},
	fromWire: func(w clientWire) store.Client {
		return store.Client{
			ID:                      w.ID,
			SecretHash:              w.SecretHash,
			Name:                    w.Name,
			RedirectURIs:            w.RedirectURIs,
			GrantTypes:              w.GrantTypes,
			ResponseTypes:           w.ResponseTypes,
			TokenEndpointAuthMethod: w.TokenEndpointAuthMethod,
			ApplicationType:         w.ApplicationType,
			Scope:                   w.Scope,
			ClientURI:               w.ClientURI,
			LogoURI:                 w.LogoURI,
			Source:                  w.Source,
			CreatedAt:               fromMillis(w.CreatedAt),
			ExpiresAt:               fromMillis(w.ExpiresAt),
		}
	},
}

// CreateClient implements store.Store.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	return clients.create(ctx, s, c)
}

// GetClient implements store.Store.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	return clients.get(ctx, s, id)
}

// UpdateClient implements store.Store.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*store.Client) error) error {
	_, err := clients.update(ctx, s, id, update)
	return err
}

// DeleteClient implements store.Store.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return clients.delete(ctx, s, id)
}
