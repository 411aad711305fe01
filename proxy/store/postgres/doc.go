// Package postgres is the store.Store on PostgreSQL, for deployments that
// run several replicas over one database.
//
// The schema, statements and transactions are the sqlstore package's,
// shared with the SQLite backend; this package connects, sizes the pool,
// serialises migrations and reads PostgreSQL's errors.
//
// It uses pgx through database/sql (github.com/jackc/pgx/v5/stdlib) rather
// than pgxpool: the shared code is written against database/sql, whose
// Scanner and Valuer codecs and *sql.Tx both engines take, so that no
// statement or record mapping exists twice. database/sql's pool does what a
// store needs of pgxpool: bounded size and lifetimes, and a broken
// connection is discarded (pgx reports it as driver.ErrBadConn, and pings a
// connection idle for over a second before reuse) and replaced on the next
// call, so a restarted server needs no restart of mcpgate. What is lost is
// pgx's native API, which the store would not use.
//
// Every read-modify-write is one READ COMMITTED transaction that reads its
// row with SELECT ... FOR UPDATE: concurrent updates of one record, from any
// replica, take turns and each sees the previous one's write, so exactly one
// of many concurrent code redemptions wins. Creates and ClaimOnce are single
// INSERT ... ON CONFLICT statements, which the unique index serialises.
//
// Migrations are versioned in a schema_migrations table and each runs in a
// transaction that first takes pg_advisory_xact_lock, so replicas starting
// together apply each migration once; DDL is transactional, so a failed
// migration leaves nothing behind.
//
// Errors that mean the server cannot be reached or is shutting down (failed
// connects, broken connections, SQLSTATE classes 08, 53, 57P0x, ...) wrap
// store.ErrUnavailable; the call after the server is back gets a new
// connection.
package postgres
