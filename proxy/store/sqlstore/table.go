package sqlstore

import (
	"context"
	"database/sql"
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

	insertSQL, getSQL, lockSQL, updateSQL, deleteSQL, gcSQL, colList string
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
	// one makes the upsert a no-op, which the caller sees as 0 rows. The
	// upsert is one statement, so concurrent creates of one key need no
	// transaction: the engine's unique index decides.
	t.insertSQL = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s WHERE %s",
		t.name, t.colList, strings.Join(params, ", "), strings.Join(keys, ", "),
		strings.Join(excluded, ", "), t.expired(n+1))
	t.getSQL = fmt.Sprintf("SELECT %s FROM %s WHERE %s AND %s", t.colList, t.name, keyCond, t.live(t.nkey+1))
	// Under READ COMMITTED a waiting FOR UPDATE re-reads the row once the
	// holder commits, so the next updater sees the previous one's write.
	t.lockSQL = t.getSQL + " FOR UPDATE"
	t.updateSQL = fmt.Sprintf("UPDATE %s SET %s WHERE %s", t.name, strings.Join(sets, ", "), keyCond)
	// An expired row is left for GarbageCollect, whose counts should not
	// depend on what was deleted in between.
	t.deleteSQL = fmt.Sprintf("DELETE FROM %s WHERE %s AND %s", t.name, keyCond, t.live(t.nkey+1))
	t.gcSQL = fmt.Sprintf("DELETE FROM %s WHERE %s", t.name, t.expired(1))
	return t
}

// placeholders is "$from, ..., $(from+n-1)".
func placeholders(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(ps, ", ")
}

func (t *table[R]) keyOf(r *R) []any { return t.args(r)[:t.nkey] }

// create inserts r unless a live record has its key.
func (t *table[R]) create(ctx context.Context, q querier, now int64, r *R) error {
	n, err := rowsAffected(q.ExecContext(ctx, t.insertSQL, append(t.args(r), now)...))
	if err == nil && n == 0 {
		return store.ErrAlreadyExists
	}
	return err
}

// get reads the live record under key; sql.ErrNoRows when there is none.
// lock also locks its row until the transaction q ends.
func (t *table[R]) get(ctx context.Context, q querier, now int64, lock bool, key ...any) (R, error) {
	query := t.getSQL
	if lock {
		query = t.lockSQL
	}
	var r R
	err := q.QueryRowContext(ctx, query, append(key, now)...).Scan(t.dest(&r)...)
	return r, err
}

func (t *table[R]) update(ctx context.Context, q querier, r *R) error {
	n, err := rowsAffected(q.ExecContext(ctx, t.updateSQL, t.args(r)...))
	if err == nil && n != 1 {
		return fmt.Errorf("updated %d rows, want 1", n)
	}
	return err
}

func (t *table[R]) delete(ctx context.Context, q querier, now int64, key ...any) error {
	n, err := rowsAffected(q.ExecContext(ctx, t.deleteSQL, append(key, now)...))
	if err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}

func (t *table[R]) gc(ctx context.Context, q querier, now time.Time) (int64, error) {
	return rowsAffected(q.ExecContext(ctx, t.gcSQL, now.UnixMilli()))
}

// rowsAffected takes an Exec's results whole, so that callers can pass the
// call straight in.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
