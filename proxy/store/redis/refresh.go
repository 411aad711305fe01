package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	DPoPJKT         string         `json:"dpop_jkt,omitempty"`
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
			DPoPJKT:         t.DPoPJKT,
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
			DPoPJKT:         w.DPoPJKT,
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

// RotateRefreshToken implements store.Store (writePair).
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, rotate func(current *store.RefreshToken) (successor *store.RefreshToken, err error)) error {
	return writePair(ctx, s, "rotate", refreshTokens, hash, refreshTokens, rotate)
}

// writePair is a read-modify-write of record id of kind ka that also
// creates the record fn returns, of kind kb, as one atomic write: a
// rotation (token and successor) or a redemption (code and first token).
// Like the other updates it runs fn once under the record's lock; it also
// WATCHes the new record's key before checking that it is free, so that
// the one EXEC writing both fails if either changed. The current record's
// WATCH is what keeps a concurrent revocation or deletion from being
// undone.
func writePair[A, WA, B, WB any](ctx context.Context, s *Store, verb string, ka kind[A, WA], id string, kb kind[B, WB], fn func(cur *A) (*B, error)) error {
	op := ka.op(verb, id)
	unlock, err := s.lock(ctx, op, ka.tag, id)
	if err != nil {
		return err
	}
	defer unlock()
	var (
		fnErr, errTaken error
		newID           string
	)
	taken := func(nid string) error {
		return fmt.Errorf("redis: %s: %s %q: %w", op, kb.name, nid, store.ErrAlreadyExists)
	}
	err = s.rdb.Watch(ctx, func(tx *goredis.Tx) error {
		now := s.now()
		cur, err := ka.read(ctx, tx, s, id, now)
		if err != nil {
			return err
		}
		next, err := fn(&cur)
		if err != nil {
			fnErr = err
			return err
		}
		if ka.id(cur) != id {
			return errKeyChanged
		}
		curRec, err := ka.encode(cur, now)
		if err != nil {
			return err
		}
		var nextRec record
		if next != nil {
			newID = kb.id(*next)
			if ka.tag == kb.tag && newID == id {
				errTaken = taken(newID)
				return errTaken
			}
			// Encoded now: what fn does with next later is not stored.
			if nextRec, err = kb.encode(*next, now); err != nil {
				return err
			}
			if err := tx.Watch(ctx, s.recordKey(kb.tag, newID)).Err(); err != nil {
				return err
			}
			switch _, err := kb.read(ctx, tx, s, newID, now); {
			case err == nil:
				errTaken = taken(newID)
				return errTaken
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			ka.queuePut(ctx, p, s, curRec, now)
			if next != nil {
				kb.queuePut(ctx, p, s, nextRec, now)
			}
			return nil
		})
		return err
	}, s.recordKey(ka.tag, id))
	switch {
	case fnErr != nil:
		return fnErr
	case errTaken != nil:
		return errTaken
	case err == nil:
		return nil
	case errors.Is(err, goredis.TxFailedErr):
		// The new record's key was taken after it was checked, or the
		// current record changed (revoked or deleted, most likely).
		if newID != "" {
			if _, err := kb.read(ctx, s.rdb, s, newID, s.now()); err == nil {
				return taken(newID)
			}
		}
		return ka.lost(ctx, s, op, id)
	}
	return s.fail(ctx, op, err)
}

// RevokeGrant implements store.Store, the deletion in one script: a
// rotation racing with it either lands first, and its successor is in the
// family set by then, or finds its current token deleted and writes
// nothing. The revocation is recorded first, so that a revocation failing
// half-way still reaches the access tokens.
func (s *Store) RevokeGrant(ctx context.Context, r store.Revocation) error {
	op := fmt.Sprintf("revoke grant %q", r.FamilyID)
	keys := []string{s.revocationsKey(), s.revocationExpiryKey()}
	err := recordRevocationScript.Run(ctx, s.rdb, keys, r.FamilyID, r.RevokedAt.UnixMilli(), r.ExpiresAt.UnixMilli()).Err()
	if err != nil {
		return s.fail(ctx, op, err)
	}
	keys = []string{s.familyKey(r.FamilyID), s.indexKey(refreshTokens.tag)}
	if err := revokeScript.Run(ctx, s.rdb, keys, s.recordKey(refreshTokens.tag, ""), r.FamilyID).Err(); err != nil {
		return s.fail(ctx, op, err)
	}
	return nil
}

// Revocations implements store.Store: a range of the revocations set by
// revocation time, without the ones whose expiry has passed.
func (s *Store) Revocations(ctx context.Context, since time.Time) ([]store.Revocation, error) {
	res, err := s.rdb.ZRangeArgsWithScores(ctx, goredis.ZRangeArgs{
		Key: s.revocationsKey(), Start: strconv.FormatInt(since.UnixMilli(), 10), Stop: "+inf", ByScore: true,
	}).Result()
	if err != nil {
		return nil, s.fail(ctx, "list revocations", err)
	}
	if len(res) == 0 {
		return nil, nil
	}
	ids := make([]string, len(res))
	for i, z := range res {
		ids[i], _ = z.Member.(string)
	}
	exps, err := s.rdb.ZMScore(ctx, s.revocationExpiryKey(), ids...).Result()
	if err != nil {
		return nil, s.fail(ctx, "list revocations", err)
	}
	now := s.now().UnixMilli()
	var out []store.Revocation
	for i, z := range res {
		if int64(exps[i]) < now {
			continue
		}
		out = append(out, store.Revocation{
			FamilyID:  ids[i],
			RevokedAt: time.UnixMilli(int64(z.Score)).UTC(),
			ExpiresAt: time.UnixMilli(int64(exps[i])).UTC(),
		})
	}
	return out, nil
}
