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
}
