package redis

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/proxy/store"
)

type signingKeyWire struct {
	ID         string `json:"id"`
	Algorithm  string `json:"alg"`
	PrivateKey []byte `json:"private_key,omitempty"`
	PublicKey  []byte `json:"public_key,omitempty"`
	CreatedAt  *int64 `json:"created_at,omitempty"`
	ActiveAt   *int64 `json:"active_at,omitempty"`
	RetiredAt  *int64 `json:"retired_at,omitempty"`
	ExpiresAt  *int64 `json:"expires_at,omitempty"`
}

var signingKeys = kind[store.SigningKey, signingKeyWire]{
	name:      "signing key",
	tag:       "key",
	id:        func(k store.SigningKey) string { return k.ID },
	expires:   func(k store.SigningKey) time.Time { return k.ExpiresAt },
	zeroLives: true,
	toWire: func(k store.SigningKey) signingKeyWire {
		return signingKeyWire{
			ID:         k.ID,
			Algorithm:  k.Algorithm,
			PrivateKey: k.PrivateKey,
			PublicKey:  k.PublicKey,
			CreatedAt:  toMillis(k.CreatedAt),
			ActiveAt:   toMillis(k.ActiveAt),
			RetiredAt:  toMillis(k.RetiredAt),
			ExpiresAt:  toMillis(k.ExpiresAt),
		}
	},
	fromWire: func(w signingKeyWire) store.SigningKey {
		return store.SigningKey{
			ID:         w.ID,
			Algorithm:  w.Algorithm,
			PrivateKey: w.PrivateKey,
			PublicKey:  w.PublicKey,
			CreatedAt:  fromMillis(w.CreatedAt),
			ActiveAt:   fromMillis(w.ActiveAt),
			RetiredAt:  fromMillis(w.RetiredAt),
			ExpiresAt:  fromMillis(w.ExpiresAt),
		}
	},
}

// CreateSigningKey implements store.Store.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	return signingKeys.create(ctx, s, k)
}

// ListSigningKeys implements store.Store. The expiry index, which holds
// every key, doubles as the list of keys: there are a handful.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	const op = "list signing keys"
	now := s.now()
	ids, err := s.rdb.ZRangeArgs(ctx, goredis.ZRangeArgs{
		Key:     s.indexKey(signingKeys.tag),
		Start:   nowMillis(now),
		Stop:    "+inf",
		ByScore: true,
	}).Result()
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*goredis.StringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGet(ctx, s.recordKey(signingKeys.tag, id), "v")
		}
		return nil
	})
	// A key evicted between the two calls is just not listed.
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, s.fail(ctx, op, err)
	}
	var list []store.SigningKey
	for _, cmd := range cmds {
		b, err := cmd.Bytes()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		k, err := signingKeys.decode(b)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		if live(k.ExpiresAt, signingKeys.zeroLives, now) {
			list = append(list, k)
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
	_, err := signingKeys.update(ctx, s, id, update)
	return err
}
