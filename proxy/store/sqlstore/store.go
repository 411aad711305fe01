package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on one SQL database. Backends wrap it to add their
// Open; every store.Store method is here.
type Store struct {
	db     *sql.DB
	d      Dialect
	closed atomic.Bool
	// reads run on the pool, through cached statements with
	// CacheStatements.
	reads querier
	// w runs the writes with GroupCommit; nil otherwise.
	w *writer
	// now is the clock expiry is judged by.
	now func() time.Time
}

func (s *Store) nowMS() int64 { return s.now().UnixMilli() }

// New brings the schema of db up to date and returns the store on it. New
// takes db over: it closes it if it fails, and Close closes it later.
func New(ctx context.Context, db *sql.DB, d Dialect, opts ...store.Option) (*Store, error) {
	if err := migrate(ctx, db, &d); err != nil {
		db.Close()
		// Only "cannot reach the database" is worth a sentinel here: a
		// constraint failing in a migration is a bug, not a duplicate.
		if d.Classify != nil && d.Classify(err) == store.ErrUnavailable {
			err = fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return nil, err
	}
	s := &Store{db: db, d: d, reads: db, now: store.Apply(opts).Now}
	if d.CacheStatements {
		s.reads = newCachedQuerier(db)
	}
	if d.GroupCommit {
		w, err := newWriter(ctx, db)
		if err != nil {
			db.Close()
			return nil, err
		}
		s.w = w
	}
	return s, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.w != nil {
		s.w.close()
	}
	if c, ok := s.reads.(*cachedQuerier); ok {
		c.close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("%s: close: %w", s.d.Name, err)
	}
	return nil
}

// fail gives err its context and maps it onto the store sentinels.
func (s *Store) fail(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %s: %w", s.d.Name, op, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %s: %w", s.d.Name, op, s.classify(err))
}

// classify wraps err with the sentinel it stands for, if any; err stays in
// the chain so that callers can still look at the driver's error.
func (s *Store) classify(err error) error {
	if s.closed.Load() {
		// database/sql says "database is closed", which means nothing
		// to a caller that only knows the store.Store sentinels.
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	if s.d.Classify != nil {
		if sentinel := s.d.Classify(err); sentinel != nil && !errors.Is(err, sentinel) {
			return fmt.Errorf("%w: %w", sentinel, err)
		}
	}
	return err
}

// callerError carries an error from the caller's updater through inTx so
// that it is returned unchanged rather than wrapped like a database error.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }

// callerErr returns the updater's error if err carries one, else nil.
func callerErr(err error) error {
	if ce, ok := err.(callerError); ok {
		return ce.err
	}
	return nil
}

// inTx runs fn in a transaction and commits if fn succeeds. fn must use tx
// only: a pool of one connection (SQLite :memory:) would deadlock.
//
// Nothing is retried here: fn runs a caller's updater, which the store
// promises to run exactly once.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	// Also covers a panicking updater; after Commit it is a no-op.
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// write runs fn as one atomic write: in the writer's next group commit, or
// in a transaction of its own.
func (s *Store) write(ctx context.Context, fn func(q querier) error) error {
	if s.w != nil {
		return s.w.do(ctx, fn)
	}
	return inTx(ctx, s.db, func(tx *sql.Tx) error { return fn(tx) })
}

// writeStmt runs fn, which issues one writing statement: through the
// writer, or straight on the pool (one statement needs no transaction).
func (s *Store) writeStmt(ctx context.Context, fn func(q querier) error) error {
	if s.w != nil {
		return s.w.do(ctx, fn)
	}
	return fn(s.db)
}

// exec runs one writing statement and returns how many rows it touched.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.writeStmt(ctx, func(q querier) error {
		var err error
		n, err = rowsAffected(q.ExecContext(ctx, query, args...))
		return err
	})
	return n, err
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
