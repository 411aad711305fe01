package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/sqlstore"
)

var _ store.Store = (*Store)(nil)

// sqlStore is an alias so that the embedded field stays unexported: the
// store.Store methods are promoted, the shared implementation is not API.
type sqlStore = sqlstore.Store

// Store is a store.Store on one SQLite database.
type Store struct {
	*sqlStore
	// db is the pool sqlStore runs on, which tests look into.
	db *sql.DB
}

// dialect is what SQLite needs from the shared SQL. RowLocks is off and
// LockMigrations nil because every write transaction is a BEGIN IMMEDIATE
// (see dsnParams), which already excludes every other writer.
var dialect = sqlstore.Dialect{
	Name:            "sqlite",
	Bytes:           "BLOB",
	Classify:        classify,
	GroupCommit:     true,
	CacheStatements: true,
	Greatest:        "MAX",
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. path is a file name, ":memory:" for a private in-memory
// database (tests), or a "file:" URI.
func Open(ctx context.Context, path string, opts ...store.Option) (*Store, error) {
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
	if err := connect(ctx, db); err != nil {
		db.Close()
		if sentinel := classify(err); sentinel != nil {
			err = fmt.Errorf("%w: %w", sentinel, err)
		}
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	d := dialect
	// A private in-memory database has one connection, which a writer of
	// its own would take from the reads.
	d.GroupCommit = !inMemory
	s, err := sqlstore.New(ctx, db, d, opts...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return &Store{sqlStore: s, db: db}, nil
}

// connect opens the pool's first connection, retrying while it fails with
// SQLITE_BUSY. Setting journal_mode=WAL on a fresh file takes an exclusive
// lock and does not wait for it under busy_timeout: processes opening a new
// file together would fail at random. Once one has converted the file, WAL
// is persistent and later connections find nothing to change.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := db.PingContext(ctx)
		if err == nil || classify(err) != store.ErrUnavailable || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}
