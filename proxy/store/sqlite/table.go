package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// table maps one record kind onto one table and holds the SQL for the
// operations every kind shares. The SQL is generated once from the column
// list so that the statements cannot drift apart from each other or from
// args and dest.
type table[R any] struct {
	name string
	// cols lists every column, key columns first, in the order of args and
	// dest; the last one is expires_at.
	cols []string
	nkey int
	// zeroLives says what NULL expires_at (a zero ExpiresAt) means: never
	// expires (clients, consents, keys) or already expired (the short-lived
	// kinds, so that a forgotten expiry fails closed).
	zeroLives bool
	args      func(*R) []any // column values, for writing
	dest      func(*R) []any // scan targets, for reading

	insertSQL, getSQL, updateSQL, deleteSQL, gcSQL, colList string
}

// live is the condition "not expired at $n".
func (t *table[R]) live(n int) string {
	if t.zeroLives {
		return fmt.Sprintf("(%s.expires_at IS NULL OR %s.expires_at >= $%d)", t.name, t.name, n)
	}
	return fmt.Sprintf("%s.expires_at >= $%d", t.name, n)
}

// expired is the negation of live, spelled out because NOT of a NULL
// comparison is NULL, not true.
func (t *table[R]) expired(n int) string {
	if t.zeroLives {
		return fmt.Sprintf("%s.expires_at < $%d", t.name, n)
	}
	return fmt.Sprintf("(%s.expires_at IS NULL OR %s.expires_at < $%d)", t.name, t.name, n)
}

func (t *table[R]) build() *table[R] {
	n := len(t.cols)
	keys := t.cols[:t.nkey]
	params := make([]string, n)
	sets := make([]string, 0, n-t.nkey)
	excluded := make([]string, 0, n-t.nkey)
	for i, c := range t.cols {
		params[i] = fmt.Sprintf("$%d", i+1)
		if i >= t.nkey {
			sets = append(sets, fmt.Sprintf("%s = $%d", c, i+1))
			excluded = append(excluded, fmt.Sprintf("%s = excluded.%s", c, c))
		}
	}
	where := make([]string, t.nkey)
	for i, c := range keys {
		where[i] = fmt.Sprintf("%s = $%d", c, i+1)
	}
	keyCond := strings.Join(where, " AND ")

	t.colList = strings.Join(t.cols, ", ")
	// An expired row is as good as absent, so a create replaces it; a live
	// one makes the upsert a no-op, which the caller sees as 0 rows.
	t.insertSQL = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s WHERE %s",
		t.name, t.colList, strings.Join(params, ", "), strings.Join(keys, ", "),
		strings.Join(excluded, ", "), t.expired(n+1))
	t.getSQL = fmt.Sprintf("SELECT %s FROM %s WHERE %s AND %s", t.colList, t.name, keyCond, t.live(t.nkey+1))
	t.updateSQL = fmt.Sprintf("UPDATE %s SET %s WHERE %s", t.name, strings.Join(sets, ", "), keyCond)
	// An expired row is left for GarbageCollect, whose counts should not
	// depend on what was deleted in between.
	t.deleteSQL = fmt.Sprintf("DELETE FROM %s WHERE %s AND %s", t.name, keyCond, t.live(t.nkey+1))
	t.gcSQL = fmt.Sprintf("DELETE FROM %s WHERE %s", t.name, t.expired(1))
	return t
}

func nowMS() int64 { return time.Now().UnixMilli() }

func (t *table[R]) keyOf(r *R) []any { return t.args(r)[:t.nkey] }

// create inserts r unless a live record has its key.
func (t *table[R]) create(ctx context.Context, q querier, r *R) error {
	res, err := q.ExecContext(ctx, t.insertSQL, append(t.args(r), nowMS())...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrAlreadyExists
	}
	return nil
}

// get reads the live record under key; sql.ErrNoRows when there is none.
func (t *table[R]) get(ctx context.Context, q querier, key ...any) (R, error) {
	var r R
	err := q.QueryRowContext(ctx, t.getSQL, append(key, nowMS())...).Scan(t.dest(&r)...)
	return r, err
}

func (t *table[R]) update(ctx context.Context, q querier, r *R) error {
	res, err := q.ExecContext(ctx, t.updateSQL, t.args(r)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("updated %d rows, want 1", n)
	}
	return nil
}

func (t *table[R]) delete(ctx context.Context, q querier, key ...any) error {
	res, err := q.ExecContext(ctx, t.deleteSQL, append(key, nowMS())...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (t *table[R]) gc(ctx context.Context, q querier, now time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, t.gcSQL, now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// modify is the read-modify-write every Update method is: read the live
// record, let fn change it, write it back, all in one transaction. fn's
// error comes back as a callerError; a key change is refused because the
// record would silently stay under its old key.
func modify[R any](ctx context.Context, tx *sql.Tx, t *table[R], key []any, fn func(*R) error) (R, error) {
	var zero R
	r, err := t.get(ctx, tx, key...)
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

// runUpdate wraps modify in its transaction and sorts out the errors.
func runUpdate[R any](ctx context.Context, s *Store, op string, t *table[R], key []any, fn func(*R) error) (R, error) {
	var out R
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := modify(ctx, tx, t, key, fn)
		out = r
		return err
	})
	if err != nil {
		if ce := callerErr(err); ce != nil {
			return out, ce
		}
		return out, s.fail(op, err)
	}
	return out, nil
}
