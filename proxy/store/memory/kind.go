package memory

import (
	"fmt"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// kind is what the generic map operations need to know about a record type.
// Callers hold Store.mu.
type kind[K comparable, V any] struct {
	name      string
	clone     func(V) V
	key       func(V) K
	expires   func(V) time.Time
	zeroLives bool
}

func (k kind[K, V]) errorf(op string, key K, format string, args ...any) error {
	return fmt.Errorf("memory: %s %s %v: "+format, append([]any{op, k.name, key}, args...)...)
}

func (k kind[K, V]) lookup(m map[K]V, key K, now time.Time) (V, bool) {
	v, ok := m[key]
	if !ok || !live(k.expires(v), k.zeroLives, now) {
		var zero V
		return zero, false
	}
	return v, true
}

// create refuses to overwrite a live record; an expired one is as good as
// absent, so it is replaced.
func (k kind[K, V]) create(m map[K]V, v V, now time.Time) error {
	key := k.key(v)
	if _, ok := k.lookup(m, key, now); ok {
		return k.errorf("create", key, "%w", store.ErrAlreadyExists)
	}
	m[key] = k.clone(v)
	return nil
}

func (k kind[K, V]) get(m map[K]V, key K, now time.Time) (V, error) {
	v, ok := k.lookup(m, key, now)
	if !ok {
		return v, k.errorf("get", key, "%w", store.ErrNotFound)
	}
	return k.clone(v), nil
}

// update hands fn a private copy so that neither a failed update nor
// anything fn keeps a reference to can reach the stored record. It returns
// a copy of what was stored.
func (k kind[K, V]) update(m map[K]V, key K, now time.Time, fn func(*V) error) (V, error) {
	var zero V
	v, ok := k.lookup(m, key, now)
	if !ok {
		return zero, k.errorf("update", key, "%w", store.ErrNotFound)
	}
	v = k.clone(v)
	if err := fn(&v); err != nil {
		return zero, err
	}
	if k.key(v) != key {
		return zero, k.errorf("update", key, "the updater changed the key")
	}
	m[key] = k.clone(v)
	return k.clone(v), nil
}

// gc deletes the records expired at now and counts them.
func (k kind[K, V]) gc(m map[K]V, now time.Time) int64 {
	var n int64
	for key, v := range m {
		if !live(k.expires(v), k.zeroLives, now) {
			delete(m, key)
			n++
		}
	}
	return n
}

// delete leaves an expired record for GarbageCollect so that its counts do
// not depend on what was deleted in between.
func (k kind[K, V]) delete(m map[K]V, key K, now time.Time) error {
	if _, ok := k.lookup(m, key, now); !ok {
		return k.errorf("delete", key, "%w", store.ErrNotFound)
	}
	delete(m, key)
	return nil
}
