package memory

import (
	"context"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var upstreamGrants = kind[string, store.UpstreamGrant]{
	name:      "upstream grant",
	clone:     cloneUpstreamGrant,
	key:       func(g store.UpstreamGrant) string { return g.FamilyID },
	expires:   func(g store.UpstreamGrant) time.Time { return g.ExpiresAt },
	zeroLives: alreadyIfZero,
}

func cloneUpstreamGrant(g store.UpstreamGrant) store.UpstreamGrant {
	g.RefreshToken = slices.Clone(g.RefreshToken)
	g.CheckedAt, g.CreatedAt, g.ExpiresAt = ms(g.CheckedAt), ms(g.CreatedAt), ms(g.ExpiresAt)
	return g
}

// CreateUpstreamGrant implements store.Store.
func (s *Store) CreateUpstreamGrant(ctx context.Context, g store.UpstreamGrant) error {
	if err := s.lock(ctx, "create upstream grant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return upstreamGrants.create(s.upstream, g, s.now())
}

// GetUpstreamGrant implements store.Store.
func (s *Store) GetUpstreamGrant(ctx context.Context, familyID string) (store.UpstreamGrant, error) {
	if err := s.rlock(ctx, "get upstream grant"); err != nil {
		return store.UpstreamGrant{}, err
	}
	defer s.mu.RUnlock()
	return upstreamGrants.get(s.upstream, familyID, s.now())
}

// UpdateUpstreamGrant implements store.Store.
func (s *Store) UpdateUpstreamGrant(ctx context.Context, familyID string, update func(*store.UpstreamGrant) error) error {
	if err := s.lock(ctx, "update upstream grant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	_, err := upstreamGrants.update(s.upstream, familyID, s.now(), update)
	return err
}

// DeleteUpstreamGrant implements store.Store.
func (s *Store) DeleteUpstreamGrant(ctx context.Context, familyID string) error {
	if err := s.lock(ctx, "delete upstream grant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return upstreamGrants.delete(s.upstream, familyID, s.now())
}

// UpstreamGrantsOf implements store.Store.
func (s *Store) UpstreamGrantsOf(ctx context.Context, subject string) ([]store.UpstreamGrant, error) {
	if err := s.rlock(ctx, "list upstream grants"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []store.UpstreamGrant
	for id, g := range s.upstream {
		if g.Subject != subject {
			continue
		}
		if live, err := upstreamGrants.get(s.upstream, id, s.now()); err == nil {
			out = append(out, live)
		}
	}
	return out, nil
}
