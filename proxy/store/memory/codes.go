package memory

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var codes = kind[string, store.AuthCode]{
	name:      "auth code",
	clone:     cloneAuthCode,
	key:       func(c store.AuthCode) string { return c.Hash },
	expires:   func(c store.AuthCode) time.Time { return c.ExpiresAt },
	zeroLives: alreadyIfZero,
}

// CreateAuthCode implements store.Store.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	if err := s.lock(ctx, "create auth code"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return codes.create(s.codes, c)
}

// UpdateAuthCode implements store.Store.
func (s *Store) UpdateAuthCode(ctx context.Context, hash string, update func(*store.AuthCode) error) (store.AuthCode, error) {
	if err := s.lock(ctx, "update auth code"); err != nil {
		return store.AuthCode{}, err
	}
	defer s.mu.Unlock()
	return codes.update(s.codes, hash, update)
}
