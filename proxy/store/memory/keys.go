package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var keys = kind[string, store.SigningKey]{
	name:      "signing key",
	clone:     cloneSigningKey,
	key:       func(k store.SigningKey) string { return k.ID },
	expires:   func(k store.SigningKey) time.Time { return k.ExpiresAt },
	zeroLives: neverIfZero,
}

// CreateSigningKey implements store.Store.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	if err := s.lock(ctx, "create signing key"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return keys.create(s.keys, k, s.now())
}

// ListSigningKeys implements store.Store.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	if err := s.rlock(ctx, "list signing keys"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	now := s.now()
	var list []store.SigningKey
	for _, k := range s.keys {
		if live(k.ExpiresAt, neverIfZero, now) {
			list = append(list, cloneSigningKey(k))
		}
	}
	// The ID breaks ties so that the order is the same on every call and
	// on every backend.
	slices.SortFunc(list, func(a, b store.SigningKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return list, nil
}

// UpdateSigningKey implements store.Store.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, update func(*store.SigningKey) error) error {
	if err := s.lock(ctx, "update signing key"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	_, err := keys.update(s.keys, id, s.now(), update)
	return err
}
