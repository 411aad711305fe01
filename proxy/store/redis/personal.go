package redis

import (
	"context"
	"errors"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/proxy/store"
)

type personalTokenWire struct {
	Hash       string         `json:"hash"`
	ID         string         `json:"id"`
	Name       string         `json:"name,omitempty"`
	Identity   store.Identity `json:"identity"`
	Scopes     []string       `json:"scopes,omitempty"`
	Resources  []string       `json:"resources,omitempty"`
	CreatedAt  *int64         `json:"created_at,omitempty"`
	LastUsedAt *int64         `json:"last_used_at,omitempty"`
	ExpiresAt  *int64         `json:"expires_at,omitempty"`
}

var personalTokens = kind[store.PersonalToken, personalTokenWire]{
	name:    "personal token",
	tag:     "pat",
	id:      func(t store.PersonalToken) string { return t.Hash },
	expires: func(t store.PersonalToken) time.Time { return t.ExpiresAt },
	// The set of a subject's tokens, for PersonalTokensOf.
	family: func(t store.PersonalToken) string { return personalSubjectSet(t.Identity.Subject) },
	toWire: func(t store.PersonalToken) personalTokenWire {
		return personalTokenWire{Hash: t.Hash, ID: t.ID, Name: t.Name, Identity: t.Identity, Scopes: t.Scopes, Resources: t.Resources,
			CreatedAt: toMillis(t.CreatedAt), LastUsedAt: toMillis(t.LastUsedAt), ExpiresAt: toMillis(t.ExpiresAt)}
	},
	fromWire: func(w personalTokenWire) store.PersonalToken {
		return store.PersonalToken{Hash: w.Hash, ID: w.ID, Name: w.Name, Identity: w.Identity, Scopes: w.Scopes, Resources: w.Resources,
			CreatedAt: fromMillis(w.CreatedAt), LastUsedAt: fromMillis(w.LastUsedAt), ExpiresAt: fromMillis(w.ExpiresAt)}
	},
}

// CreatePersonalToken implements store.Store.
func (s *Store) CreatePersonalToken(ctx context.Context, t store.PersonalToken) error {
	return personalTokens.create(ctx, s, t)
}

// GetPersonalToken implements store.Store.
func (s *Store) GetPersonalToken(ctx context.Context, hash string) (store.PersonalToken, error) {
	return personalTokens.get(ctx, s, hash)
}

// UpdatePersonalToken implements store.Store.
func (s *Store) UpdatePersonalToken(ctx context.Context, hash string, update func(*store.PersonalToken) error) error {
	_, err := personalTokens.update(ctx, s, hash, update)
	return err
}

// DeletePersonalToken implements store.Store.
func (s *Store) DeletePersonalToken(ctx context.Context, hash string) error {
	return personalTokens.delete(ctx, s, hash)
}

func personalSubjectSet(subject string) string { return "pat-of:" + subject }

// PersonalTokensOf implements store.Store. As for UpstreamGrantsOf, the
// set may name tokens deleted since; they are skipped.
func (s *Store) PersonalTokensOf(ctx context.Context, subject string) ([]store.PersonalToken, error) {
	return membersOf(ctx, s, personalTokens, personalSubjectSet(subject), "list personal tokens",
		func(t store.PersonalToken) bool { return t.Identity.Subject == subject })
}

// membersOf reads the records of kind k named in the family set family,
// keeping those mine accepts.
func membersOf[T, W any](ctx context.Context, s *Store, k kind[T, W], family, op string, mine func(T) bool) ([]T, error) {
	ids, err := s.rdb.SMembers(ctx, s.familyKey(family)).Result()
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	now := s.now()
	var out []T
	for _, id := range ids {
		v, err := k.read(ctx, s.rdb, s, id, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, s.fail(ctx, op, err)
		case mine(v):
			out = append(out, v)
		}
	}
	return out, nil
}

// AllPersonalTokens implements store.Store, from the expiry index.
func (s *Store) AllPersonalTokens(ctx context.Context, limit int) ([]store.PersonalToken, error) {
	return allLive(ctx, s, personalTokens, limit, "list personal tokens")
}

// allLive reads up to limit records of kind k that the expiry index holds
// as not yet expired.
func allLive[T, W any](ctx context.Context, s *Store, k kind[T, W], limit int, op string) ([]T, error) {
	now := s.now()
	ids, err := s.rdb.ZRangeArgs(ctx, goredis.ZRangeArgs{Key: s.indexKey(k.tag), ByScore: true,
		Start: "(" + strconv.FormatInt(nowMillis(now), 10), Stop: "+inf", Count: int64(limit)}).Result()
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	var out []T
	for _, id := range ids {
		v, err := k.read(ctx, s.rdb, s, id, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, s.fail(ctx, op, err)
		default:
			out = append(out, v)
		}
	}
	return out, nil
}
