package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on one SQLite database.
type Store struct {
	db     *sql.DB
	closed atomic.Bool
}

// dsnParams configure every connection of the pool: SQLite settings are
// per connection, so they cannot be set once after opening.
//
// _busy_timeout bounds how long a call waits for another writer; writes are
// a few statements long, so reaching 5s means the database is stuck.
//
// _txlock=immediate makes every (non read-only) BeginTx a BEGIN IMMEDIATE,
// which takes the write lock, waiting for it under busy_timeout, before the
// first read. A deferred transaction that reads and then writes fails with
// SQLITE_BUSY at the write, without waiting, whenever another writer got in
// between: concurrent redemptions would see errors instead of taking turns.
// synchronous stays at its default (FULL): a commit lost to a power cut could
// turn a redeemed code or a rotated refresh token back into a usable one.
const dsnParams = "_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL&_txlock=immediate"

// Open opens (creating if needed) the database at path and brings its schema
// up to date. path is a file name, ":memory:" for a private in-memory
// database (tests), or a "file:" URI.
func Open(ctx context.Context, path string) (*Store, error) {
	dsn, inMemory, err := makeDSN(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if inMemory {
		// Every connection to :memory: is a database of its own: keep
		// exactly one, forever. Callers queue for it, which also
		// serialises transactions.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return &Store{db: db}, nil
}

func makeDSN(path string) (dsn string, inMemory bool, err error) {
	switch {
	case path == "":
		// SQLite would open a private temporary file per connection.
		return "", false, errors.New("empty path")
	case path == ":memory:":
		return ":memory:?" + dsnParams, true, nil
	case strings.HasPrefix(path, "file:"):
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return path + sep + dsnParams, strings.Contains(path, "mode=memory"), nil
	case strings.Contains(path, "?"):
		// The driver would take the rest for parameters.
		return "", false, errors.New(`a file name cannot contain "?"; use a file: URI`)
	default:
		return path + "?" + dsnParams, false, nil
	}
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.closed.Store(true)
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// fail gives err its context and maps it onto the store sentinels.
func (s *Store) fail(op string, err error) error {
	var se *sqlite.Error
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	case s.closed.Load():
		return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
	case errors.As(err, &se):
		switch code := se.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrAlreadyExists, err)
		case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
			// Another writer held the lock past busy_timeout: to the
			// caller that is an overloaded backend, not a bad request.
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
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

// inTx runs fn in a BEGIN IMMEDIATE transaction (see dsnParams) and commits
// if fn succeeds. fn must use tx only: on :memory: the pool has a single
// connection, which tx holds.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return inTx(ctx, s.db, fn)
}

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

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
