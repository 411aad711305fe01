package memory

import (
	"context"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var personalTokens = kind[string, store.PersonalToken]{
	name:      "personal token",
	clone:     clonePersonalToken,
	key:       func(t store.PersonalToken) string { return t.Hash },
	expires:   func(t store.PersonalToken) time.Time { return t.ExpiresAt },
	zeroLives: alreadyIfZero,
}

func clonePersonalToken(t store.PersonalToken) store.PersonalToken {
	t.Identity = cloneIdentity(t.Identity)
	t.Scopes, t.Resources = slices.Clone(t.Scopes), slices.Clone(t.Resources)
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt = ms(t.CreatedAt), ms(t.LastUsedAt), ms(t.ExpiresAt)
	return t
}

// CreatePersonalToken implements store.Store.
func (s *Store) CreatePersonalToken(ctx context.Context, t store.PersonalToken) error {
	if err := s.lock(ctx, "create personal token"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return personalTokens.create(s.personal, t, s.now())
}

// GetPersonalToken implements store.Store.
func (s *Store) GetPersonalToken(ctx context.Context, hash string) (store.PersonalToken, error) {
	if err := s.rlock(ctx, "get personal token"); err != nil {
		return store.PersonalToken{}, err
	}
	defer s.mu.RUnlock()
	return personalTokens.get(s.personal, hash, s.now())
}

// UpdatePersonalToken implements store.Store.
func (s *Store) UpdatePersonalToken(ctx context.Context, hash string, update func(*store.PersonalToken) error) error {
	if err := s.lock(ctx, "update personal token"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	_, err := personalTokens.update(s.personal, hash, s.now(), update)
	return err
}

// DeletePersonalToken implements store.Store.
func (s *Store) DeletePersonalToken(ctx context.Context, hash string) error {
	if err := s.lock(ctx, "delete personal token"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return personalTokens.delete(s.personal, hash, s.now())
}

// PersonalTokensOf implements store.Store.
func (s *Store) PersonalTokensOf(ctx context.Context, subject string) ([]store.PersonalToken, error) {
	if err := s.rlock(ctx, "list personal tokens"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []store.PersonalToken
	for hash, t := range s.personal {
		if t.Identity.Subject != subject {
			continue
		}
		if live, err := personalTokens.get(s.personal, hash, s.now()); err == nil {
			out = append(out, live)
		}
	}
	return out, nil
}

// AllPersonalTokens implements store.Store.
func (s *Store) AllPersonalTokens(ctx context.Context, limit int) ([]store.PersonalToken, error) {
	if err := s.rlock(ctx, "list personal tokens"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return allLive(s.personal, personalTokens, s.now(), limit), nil
}
