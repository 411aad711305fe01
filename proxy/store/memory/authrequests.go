package memory

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var requests = kind[string, store.AuthRequest]{
	name:      "auth request",
	clone:     cloneAuthRequest,
	key:       func(r store.AuthRequest) string { return r.ID },
	expires:   func(r store.AuthRequest) time.Time { return r.ExpiresAt },
	zeroLives: alreadyIfZero,
}

// CreateAuthRequest implements store.Store.
func (s *Store) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	if err := s.lock(ctx, "create auth request"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return requests.create(s.requests, r, s.now())
}

// GetAuthRequest implements store.Store.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	if err := s.rlock(ctx, "get auth request"); err != nil {
		return store.AuthRequest{}, err
	}
	defer s.mu.RUnlock()
	return requests.get(s.requests, id, s.now())
}

// UpdateAuthRequest implements store.Store.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, update func(*store.AuthRequest) error) error {
	if err := s.lock(ctx, "update auth request"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	_, err := requests.update(s.requests, id, s.now(), update)
	return err
}

// DeleteAuthRequest implements store.Store.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	if err := s.lock(ctx, "delete auth request"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return requests.delete(s.requests, id, s.now())
}
