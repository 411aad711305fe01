package sqlstore

import (
	"context"
	"database/sql"
)

// Dialect is what a backend tells the shared code about its engine.
type Dialect struct {
	// Name prefixes every error ("sqlite", "postgres").
	Name string
	// Bytes is the column type for []byte values: BLOB, BYTEA.
	Bytes string
	// RowLocks makes read-modify-writes read with SELECT ... FOR UPDATE.
	// An engine whose write transactions already exclude each other (SQLite
	// with BEGIN IMMEDIATE) leaves it off: it does not know the clause.
	RowLocks bool
	// LockMigrations, if set, runs first in every migration transaction
	// and must block until no other process is migrating the same schema.
	// Without it the transaction itself must exclude the others.
	LockMigrations func(ctx context.Context, tx *sql.Tx) error
	// Classify maps a driver error onto store.ErrAlreadyExists or
	// store.ErrUnavailable, or returns nil for any other error.
	Classify func(err error) error
	// GroupCommit runs every write on one connection, batching the writes
	// that wait into one transaction (see writer). For an engine with one
	// writer at a time (SQLite); the pool must allow a second connection
	// for reads.
	GroupCommit bool
	// CacheStatements prepares each query once per connection, for an
	// engine whose driver parses every query anew (SQLite; pgx caches
	// its own).
	CacheStatements bool
	// ModifyingCTE says the engine runs INSERT ... SELECT FROM a
	// data-modifying WITH (PostgreSQL): the conditional write of a
	// redemption or rotation is then one statement, one round trip,
	// instead of a transaction of two.
	ModifyingCTE bool
	// Greatest is the function for the larger of two values: GREATEST on
	// PostgreSQL, MAX on SQLite.
	Greatest string
}
