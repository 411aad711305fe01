package sqlstore

import (
	"context"
	"errors"
)

// modify is the read-modify-write every Update method is: read the live
// record, let fn change it, write it back, all in transaction tx. fn's error
// comes back as a callerError; a key change is refused because the record
// would silently stay under its old key.
func modify[R any](ctx context.Context, s *Store, tx querier, t *table[R], key []any, fn func(*R) error) (R, error) {
	var zero R
	r, err := t.get(ctx, tx, s.nowMS(), s.d.RowLocks, key...)
	if err != nil {
		return zero, err
	}
	if err := fn(&r); err != nil {
		return zero, callerError{err}
	}
	if !sameKey(t.keyOf(&r), key) {
		return zero, errKeyChanged
	}
	if err := t.update(ctx, tx, &r); err != nil {
		return zero, err
	}
	return r, nil
}

var errKeyChanged = errors.New("the updater changed the key")

func sameKey(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// runUpdate wraps modify in its transaction and sorts out the errors. On
// any error it returns the zero record: what modify wrote was rolled back.
func runUpdate[R any](ctx context.Context, s *Store, op string, t *table[R], key []any, fn func(*R) error) (R, error) {
	var out, zero R
	err := s.write(ctx, func(q querier) error {
		var err error
		out, err = modify(ctx, s, q, t, key, fn)
		return err
	})
	if err != nil {
		if ce := callerErr(err); ce != nil {
			return zero, ce
		}
		return zero, s.fail(op, err)
	}
	return out, nil
}
