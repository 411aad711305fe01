// Package sqlite is the store.Store on SQLite (modernc.org/sqlite, pure Go):
// one file shared by every process of a single-host deployment.
//
// The schema, statements and transactions are the sqlstore package's,
// shared with the PostgreSQL backend; this package only opens the database
// and reads SQLite's error codes.
//
// Every read-modify-write runs in a BEGIN IMMEDIATE transaction, which takes
// the database's write lock before reading, so updates of one record never
// interleave, also across processes; waiting for the lock is bounded by
// busy_timeout. WAL mode lets readers proceed meanwhile.
package sqlite
