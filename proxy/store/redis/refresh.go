package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/proxy/store"
)

type refreshTokenWire struct {
	Hash            string         `json:"hash"`
	FamilyID        string         `json:"family_id"`
	ClientID        string         `json:"client_id,omitempty"`
	Scopes          []string       `json:"scopes,omitempty"`
	Resource        string         `json:"resource,omitempty"`
	Identity        store.Identity `json:"identity"`
	AuthTime        *int64         `json:"auth_time,omitempty"`
	FamilyExpiresAt *int64         `json:"family_expires_at,omitempty"`
	RotatedAt       *int64         `json:"rotated_at,omitempty"`
	CreatedAt       *int64         `json:"created_at,omitempty"`
	ExpiresAt       *int64         `json:"expires_at,omitempty"`
}

var refreshTokens = kind[store.RefreshToken, refreshTokenWire]{
	name:    "refresh token",
	tag:     "refresh",
	id:      func(t store.RefreshToken) string { return t.Hash },
	expires: func(t store.RefreshToken) time.Time { return t.ExpiresAt },
	family:  func(t store.RefreshToken) string { return t.FamilyID },
	toWire: func(t store.RefreshToken) refreshTokenWire {
		return refreshTokenWire{
			Hash:            t.Hash,
			FamilyID:        t.FamilyID,
			ClientID:        t.ClientID,
			Scopes:          t.Scopes,
			Resource:        t.Resource,
			Identity:        t.Identity,
			AuthTime:        toMillis(t.AuthTime),
			FamilyExpiresAt: toMillis(t.FamilyExpiresAt),
			RotatedAt:       toMillis(t.RotatedAt),
			CreatedAt:       toMillis(t.CreatedAt),
			ExpiresAt:       toMillis(t.ExpiresAt),
		}
	},
	fromWire: func(w refreshTokenWire) store.RefreshToken {
		return store.RefreshToken{
			Hash:            w.Hash,
			FamilyID:        w.FamilyID,
			ClientID:        w.ClientID,
			Scopes:          w.Scopes,
			Resource:        w.Resource,
			Identity:        w.Identity,
			AuthTime:        fromMillis(w.AuthTime),
			FamilyExpiresAt: fromMillis(w.FamilyExpiresAt),
			RotatedAt:       fromMillis(w.RotatedAt),
			CreatedAt:       fromMillis(w.CreatedAt),
			ExpiresAt:       fromMillis(w.ExpiresAt),
		}
	},
}

// CreateRefreshToken implements store.Store.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	return refreshTokens.create(ctx, s, t)
}

// GetRefreshToken implements store.Store.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	return refreshTokens.get(ctx, s, hash)
}

// RotateRefreshToken implements store.Store. Like the other updates it
// runs rotate once under the current token's lock; it also WATCHes the
// successor's key before checking that it is free, so that the one EXEC
// writing both tokens fails if either changed. The current token's WATCH
// is what keeps a concurrent RevokeRefreshFamily from being undone.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, rotate func(current *store.RefreshToken) (successor *store.RefreshToken, err error)) error {
	k := refreshTokens
	op := k.op("rotate", hash)
	unlock, err := s.lock(ctx, op, k.tag, hash)
	if err != nil {
		return err
	}
	defer unlock()
	var (
		fnErr, errTaken error
		succHash        string
	)
	err = s.rdb.Watch(ctx, func(tx *goredis.Tx) error {
		now := time.Now()
		cur, err := k.read(ctx, tx, s, hash, now)
		if err != nil {
			return err
		}
		succ, err := rotate(&cur)
		if err != nil {
			fnErr = err
			return err
		}
		if cur.Hash != hash {
			return errKeyChanged
		}
		curRec, err := k.encode(cur, now)
		if err != nil {
			return err
		}
		var succRec record
		if succ != nil {
			succHash = succ.Hash
			if succ.Hash == hash {
				errTaken = fmt.Errorf("redis: %s: successor %q: %w", op, succ.Hash, store.ErrAlreadyExists)
				return errTaken
			}
			// Encoded now: what rotate does with succ later is not stored.
			if succRec, err = k.encode(*succ, now); err != nil {
				return err
			}
			if err := tx.Watch(ctx, s.recordKey(k.tag, succ.Hash)).Err(); err != nil {
				return err
			}
			switch _, err := k.read(ctx, tx, s, succ.Hash, now); {
			case err == nil:
				errTaken = fmt.Errorf("redis: %s: successor %q: %w", op, succ.Hash, store.ErrAlreadyExists)
				return errTaken
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			k.queuePut(ctx, p, s, curRec, now)
			if succ != nil {
				k.queuePut(ctx, p, s, succRec, now)
			}
			return nil
		})
		return err
	}, s.recordKey(k.tag, hash))
	switch {
	case fnErr != nil:
		return fnErr
	case errTaken != nil:
		return errTaken
	case err == nil:
		return nil
	case errors.Is(err, goredis.TxFailedErr):
		// The successor's hash was taken after it was checked, or the
		// current token changed (revoked, most likely).
		if succHash != "" {
			if _, err := k.read(ctx, s.rdb, s, succHash, time.Now()); err == nil {
				return fmt.Errorf("redis: %s: successor %q: %w", op, succHash, store.ErrAlreadyExists)
			}
		}
		return k.lost(ctx, s, op, hash)
	}
	return s.fail(ctx, op, err)
}

// RevokeRefreshFamily implements store.Store, in one script: a rotation
// racing with it either lands first, and its successor is in the family
// set by then, or finds its current token deleted and writes nothing.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string) error {
	keys := []string{s.familyKey(familyID), s.indexKey(refreshTokens.tag)}
	err := revokeScript.Run(ctx, s.rdb, keys, s.recordKey(refreshTokens.tag, ""), familyID).Err()
	if err != nil {
		return s.fail(ctx, fmt.Sprintf("revoke refresh family %q", familyID), err)
	}
	return nil
}
