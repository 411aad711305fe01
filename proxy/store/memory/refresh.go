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
	return tokens.create(s.tokens, t, s.now())
}

// GetRefreshToken implements store.Store.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	if err := s.rlock(ctx, "get refresh token"); err != nil {
		return store.RefreshToken{}, err
	}
	defer s.mu.RUnlock()
	return tokens.get(s.tokens, hash, s.now())
}

// RotateRefreshToken implements store.Store.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, rotate func(current *store.RefreshToken) (successor *store.RefreshToken, err error)) error {
	if err := s.lock(ctx, "rotate refresh token"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cur, ok := tokens.lookup(s.tokens, hash, s.now())
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
		if _, ok := tokens.lookup(s.tokens, succ.Hash, s.now()); ok || succ.Hash == hash {
			return tokens.errorf("rotate", hash, "successor %q: %w", succ.Hash, store.ErrAlreadyExists)
		}
		s.tokens[succ.Hash] = cloneRefreshToken(*succ)
	}
	s.tokens[hash] = cloneRefreshToken(cur)
	return nil
}

// RevokeGrant implements store.Store.
func (s *Store) RevokeGrant(ctx context.Context, r store.Revocation) error {
	if err := s.lock(ctx, "revoke grant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for h, t := range s.tokens {
		if t.FamilyID == r.FamilyID {
			delete(s.tokens, h)
		}
	}
	r.RevokedAt, r.ExpiresAt = ms(r.RevokedAt), ms(r.ExpiresAt)
	if old, ok := s.revocations[r.FamilyID]; !ok || old.ExpiresAt.Before(r.ExpiresAt) {
		s.revocations[r.FamilyID] = r
	}
	return nil
}

// Revocations implements store.Store.
func (s *Store) Revocations(ctx context.Context, since time.Time) ([]store.Revocation, error) {
	if err := s.rlock(ctx, "list revocations"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	now := s.now()
	var out []store.Revocation
	for _, r := range s.revocations {
		if live(r.ExpiresAt, alreadyIfZero, now) && !r.RevokedAt.Before(ms(since)) {
			out = append(out, r)
		}
	}
	return out, nil
}
