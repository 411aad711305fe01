package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// kind is what the generic record operations need to know about a record
// type V, stored as the JSON of its wire form W.
type kind[V, W any] struct {
	name      string // in errors: "auth code"
	tag       string // in keys: "code"
	id        func(V) string
	expires   func(V) time.Time
	zeroLives bool // see live
	toWire    func(V) W
	fromWire  func(W) V
	// family is a refresh token's family ID; nil for the other kinds.
	family func(V) string
}

// record is a record encoded for putScript.
type record struct {
	id     string
	json   []byte
	score  string // index score
	live   bool   // false: already expired, only indexed
	expiry string // Unix ms; "" for never
	family string
}

func (k kind[V, W]) encode(v V, now time.Time) (record, error) {
	b, err := json.Marshal(k.toWire(v))
	if err != nil {
		return record{}, err
	}
	exp := k.expires(v)
	r := record{
		id:    k.id(v),
		json:  b,
		score: score(exp, k.zeroLives),
		live:  live(exp, k.zeroLives, now),
	}
	if !exp.IsZero() {
		r.expiry = strconv.FormatInt(*toMillis(exp), 10)
	}
	if k.family != nil {
		r.family = k.family(v)
	}
	return r, nil
}

// decode returns a record of its own: nothing it holds is shared, which is
// how callers and updaters get private copies.
func (k kind[V, W]) decode(b []byte) (V, error) {
	var w W
	if err := json.Unmarshal(b, &w); err != nil {
		var zero V
		return zero, fmt.Errorf("corrupt record: %w", err)
	}
	return k.fromWire(w), nil
}

// putArgs are putScript's keys and arguments for writing r.
func (k kind[V, W]) putArgs(s *Store, mode string, r record, now time.Time) ([]string, []any) {
	keys := []string{s.recordKey(k.tag, r.id), s.indexKey(k.tag)}
	if k.family != nil {
		keys = append(keys, s.familyKey(r.family))
	}
	liveArg := "0"
	if r.live {
		liveArg = "1"
	}
	return keys, []any{mode, nowMillis(now), r.id, r.score, liveArg, r.json, r.expiry, r.family}
}

// queuePut queues the replacing write of r in a MULTI.
func (k kind[V, W]) queuePut(ctx context.Context, p goredis.Pipeliner, s *Store, r record, now time.Time) {
	keys, args := k.putArgs(s, "replace", r, now)
	// EVAL, not EVALSHA: inside MULTI a missing script cannot be loaded
	// and retried, and the scripts are short.
	putScript.Eval(ctx, p, keys, args...)
}

func (k kind[V, W]) op(verb, id string) string {
	return fmt.Sprintf("%s %s %q", verb, k.name, id)
}

// put writes v in one script. mode "create" refuses a live record.
func (k kind[V, W]) put(ctx context.Context, s *Store, mode string, v V) error {
	now := s.now()
	id := k.id(v)
	r, err := k.encode(v, now)
	if err != nil {
		return fmt.Errorf("redis: %s: %w", k.op(mode, id), err)
	}
	keys, args := k.putArgs(s, mode, r, now)
	n, err := putScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return s.fail(ctx, k.op(mode, id), err)
	}
	if n == 0 {
		return fmt.Errorf("redis: %s: %w", k.op(mode, id), store.ErrAlreadyExists)
	}
	return nil
}

func (k kind[V, W]) create(ctx context.Context, s *Store, v V) error {
	return k.put(ctx, s, "create", v)
}

// hashGetter is a client or a transaction.
type hashGetter interface {
	HGet(ctx context.Context, key, field string) *goredis.StringCmd
}

// read returns the live record id, or store.ErrNotFound.
func (k kind[V, W]) read(ctx context.Context, c hashGetter, s *Store, id string, now time.Time) (V, error) {
	var zero V
	b, err := c.HGet(ctx, s.recordKey(k.tag, id), "v").Bytes()
	if errors.Is(err, goredis.Nil) {
		return zero, store.ErrNotFound
	}
	if err != nil {
		return zero, err
	}
	v, err := k.decode(b)
	if err != nil {
		return zero, err
	}
	// Redis evicts at the expiry by its own clock; this replica's clock
	// decides what its callers see.
	if !live(k.expires(v), k.zeroLives, now) {
		return zero, store.ErrNotFound
	}
	return v, nil
}

func (k kind[V, W]) get(ctx context.Context, s *Store, id string) (V, error) {
	v, err := k.read(ctx, s.rdb, s, id, s.now())
	if err != nil {
		return v, s.fail(ctx, k.op("get", id), err)
	}
	return v, nil
}

// update runs fn once on a private copy of record id under the record's
// lock, and writes the result if the record did not change meanwhile (see
// doc.go). It returns a copy of the record as it now is.
func (k kind[V, W]) update(ctx context.Context, s *Store, id string, fn func(*V) error) (V, error) {
	var zero V
	op := k.op("update", id)
	unlock, err := s.lock(ctx, op, k.tag, id)
	if err != nil {
		return zero, err
	}
	defer unlock()
	var (
		out   V
		fnErr error
	)
	err = s.rdb.Watch(ctx, func(tx *goredis.Tx) error {
		now := s.now()
		v, err := k.read(ctx, tx, s, id, now)
		if err != nil {
			return err
		}
		before, err := json.Marshal(k.toWire(v))
		if err != nil {
			return err
		}
		if fnErr = fn(&v); fnErr != nil {
			return fnErr
		}
		if k.id(v) != id {
			return errKeyChanged
		}
		r, err := k.encode(v, now)
		if err != nil {
			return err
		}
		// Decoded from what is written rather than v itself, which fn
		// may still hold.
		if out, err = k.decode(r.json); err != nil {
			return err
		}
		if bytes.Equal(r.json, before) {
			// Nothing to write: an updater that only looks (the only
			// way to read a code) costs no write.
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			k.queuePut(ctx, p, s, r, now)
			return nil
		})
		return err
	}, s.recordKey(k.tag, id))
	switch {
	case fnErr != nil:
		// Unchanged, as the contract says: not wrapped.
		return zero, fnErr
	case err == nil:
		return out, nil
	case errors.Is(err, goredis.TxFailedErr):
		return zero, k.lost(ctx, s, op, id)
	}
	return zero, s.fail(ctx, op, err)
}

// lost explains an update whose EXEC failed because the record changed
// after it was read, although the update held the lock. The updater ran,
// so it is not retried. Most likely the record was deleted (or revoked, or
// collected); otherwise the update outlived its lock and another took over.
func (k kind[V, W]) lost(ctx context.Context, s *Store, op, id string) error {
	_, err := k.read(ctx, s.rdb, s, id, s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("redis: %s: %w", op, store.ErrNotFound)
	case err != nil:
		return s.fail(ctx, op, err)
	}
	return fmt.Errorf("redis: %s: the record changed during the update (the update outlived its %v lock, or the record was replaced); nothing written: %w",
		op, s.lockTTL, store.ErrUnavailable)
}

func (k kind[V, W]) delete(ctx context.Context, s *Store, id string) error {
	op := k.op("delete", id)
	keys := []string{s.recordKey(k.tag, id), s.indexKey(k.tag)}
	n, err := deleteScript.Run(ctx, s.rdb, keys, nowMillis(s.now()), id).Int()
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if n == 0 {
		return fmt.Errorf("redis: %s: %w", op, store.ErrNotFound)
	}
	return nil
}
