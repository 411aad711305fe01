// Package sqlite is the store.Store on SQLite (modernc.org/sqlite, pure Go):
// one file shared by every process of a single-host deployment.
//
// Every read-modify-write runs in a BEGIN IMMEDIATE transaction, which takes
// the database's write lock before reading, so updates of one record never
// interleave, also across processes; waiting for the lock is bounded by
// busy_timeout. WAL mode lets readers proceed meanwhile.
//
// The SQL is kept portable so that a PostgreSQL backend can share it: $N
// placeholders, ON CONFLICT upserts, times as BIGINT unix milliseconds (NULL
// for the zero time), lists and identities as JSON text, expiry compared
// with a now parameter rather than a database clock function; table.go
// generates the statements from column lists. Only the schema (BLOB would be
// BYTEA), the DSN pragmas and the error codes in fail are SQLite's own.
package sqlite
