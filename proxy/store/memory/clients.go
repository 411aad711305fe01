package memory

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var clients = kind[string, store.Client]{
	name:      "client",
	clone:     cloneClient,
	key:       func(c store.Client) string { return c.ID },
	expires:   func(c store.Client) time.Time { return c.ExpiresAt },
	zeroLives: neverIfZero,
}

// CreateClient implements store.Store.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	if err := s.lock(ctx, "create client"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return clients.create(s.clients, c, s.now())
}

// GetClient implements store.Store.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	if err := s.rlock(ctx, "get client"); err != nil {
		return store.Client{}, err
	}
	defer s.mu.RUnlock()
	return clients.get(s.clients, id, s.now())
}

// UpdateClient implements store.Store.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*store.Client) error) error {
	if err := s.lock(ctx, "update client"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	_, err := clients.update(s.clients, id, s.now(), update)
	return err
}

// DeleteClient implements store.Store.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := s.lock(ctx, "delete client"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return clients.delete(s.clients, id, s.now())
}
