package memory

import (
	"context"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var grants = kind[string, store.Grant]{
	name:      "grant",
	clone:     cloneGrant,
	key:       func(g store.Grant) string { return g.FamilyID },
	expires:   func(g store.Grant) time.Time { return g.ExpiresAt },
	zeroLives: alreadyIfZero,
}

func cloneGrant(g store.Grant) store.Grant {
	g.Scopes = slices.Clone(g.Scopes)
	g.CreatedAt, g.LastUsedAt, g.ExpiresAt = ms(g.CreatedAt), ms(g.LastUsedAt), ms(g.ExpiresAt)
	return g
}

// CreateGrant implements store.Store.
func (s *Store) CreateGrant(ctx context.Context, g store.Grant) error {
	if err := s.lock(ctx, "create grant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return grants.create(s.grants, g, s.now())
}

// UpdateGrant implements store.Store.
func (s *Store) UpdateGrant(ctx context.Context, familyID string, update func(*store.Grant) error) error {
	if err := s.lock(ctx, "update grant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	_, err := grants.update(s.grants, familyID, s.now(), update)
	return err
}

// DeleteGrant implements store.Store.
func (s *Store) DeleteGrant(ctx context.Context, familyID string) error {
	if err := s.lock(ctx, "delete grant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return grants.delete(s.grants, familyID, s.now())
}

// GrantsOf implements store.Store.
func (s *Store) GrantsOf(ctx context.Context, subject string) ([]store.Grant, error) {
	if err := s.rlock(ctx, "list grants"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []store.Grant
	for id, g := range s.grants {
		if g.Subject != subject {
			continue
		}
		if live, err := grants.get(s.grants, id, s.now()); err == nil {
			out = append(out, live)
		}
	}
	return out, nil
}

// AllGrants implements store.Store.
func (s *Store) AllGrants(ctx context.Context, limit int) ([]store.Grant, error) {
	if err := s.rlock(ctx, "list grants"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return allLive(s.grants, grants, s.now(), limit), nil
}

// allLive lists up to limit live records of m.
func allLive[V any](m map[string]V, k kind[string, V], now time.Time, limit int) []V {
	var out []V
	for id := range m {
		if len(out) >= limit {
			break
		}
		if live, err := k.get(m, id, now); err == nil {
			out = append(out, live)
		}
	}
	return out
}
