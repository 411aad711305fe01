package memory

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var tokens = kind[string, store.RefreshToken]{
	name:      "refresh token",
	clone:     cloneRefreshToken,
	key:       func(t store.RefreshToken) string { return t.Hash },
	expires:   func(t store.RefreshToken) time.Time { return t.ExpiresAt },
	zeroLives: alreadyIfZero,
}

// CreateRefreshToken implements store.Store.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if err := s.lock(ctx, "create refresh token"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return tokens.create(s.tokens, t)
}

// GetRefreshToken implements store.Store.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	if err := s.rlock(ctx, "get refresh token"); err != nil {
		return store.RefreshToken{}, err
	}
	defer s.mu.RUnlock()
	return tokens.get(s.tokens, hash)
}

// RotateRefreshToken implements store.Store.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, rotate func(current *store.RefreshToken) (successor *store.RefreshToken, err error)) error {
	if err := s.lock(ctx, "rotate refresh token"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cur, ok := tokens.lookup(s.tokens, hash)
	if !ok {
		return tokens.errorf("rotate", hash, "%w", store.ErrNotFound)
	}
	cur = cloneRefreshToken(cur)
	succ, err := rotate(&cur)
	if err != nil {
		return err
	}
	if cur.Hash != hash {
		return tokens.errorf("rotate", hash, "the updater changed the key")
	}
	if succ != nil {
		// Checked before anything is written: the two writes are one step.
		if _, ok := tokens.lookup(s.tokens, succ.Hash); ok || succ.Hash == hash {
			return tokens.errorf("rotate", hash, "successor %q: %w", succ.Hash, store.ErrAlreadyExists)
		}
		s.tokens[succ.Hash] = cloneRefreshToken(*succ)
	}
	s.tokens[hash] = cloneRefreshToken(cur)
	return nil
}

// RevokeRefreshFamily implements store.Store.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string) error {
	if err := s.lock(ctx, "revoke refresh family"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for h, t := range s.tokens {
		if t.FamilyID == familyID {
			delete(s.tokens, h)
		}
	}
	return nil
}
