package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/sqlstore"
)

var _ store.Store = (*Store)(nil)

// sqlStore is an alias so that the embedded field stays unexported: the
// store.Store methods are promoted, the shared implementation is not API.
type sqlStore = sqlstore.Store

// Store is a store.Store on one PostgreSQL database (or schema: see Open).
type Store struct {
	*sqlStore
	// db is the pool sqlStore runs on, which tests look into.
	db *sql.DB
}

// dialect is what PostgreSQL needs from the shared SQL.
var dialect = sqlstore.Dialect{
	Name:  "postgres",
	Bytes: "BYTEA",
	// Transactions run at READ COMMITTED, where two read-modify-writes of
	// one row would both read the old value: FOR UPDATE makes the second
	// wait, then read what the first committed.
	RowLocks:       true,
	LockMigrations: lockMigrations,
	Classify:       classify,
	ModifyingCTE:   true,
	Greatest:       "GREATEST",
}

// migrationLockKey is the first half of the advisory lock key that
// migrations take; the second is the schema's, so that deployments in
// different schemas of one database do not wait for each other.
const migrationLockKey int32 = 0x6d637067 // "mcpg"

// lockMigrations waits until no other session migrates this schema. The
// transaction-level lock is released by the commit or rollback, also when
// the session dies, so a crashed replica cannot leave it held.
func lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(COALESCE(current_schema(), '')))", migrationLockKey)
	return err
}

// Open connects to the database at url, brings its schema up to date and
// returns the store. url is anything pgx.ParseConfig reads:
//
//	postgres://user:password@host:5432/database?sslmode=verify-full
//	postgresql://host1,host2/database?target_session_attrs=read-write
//	host=/run/postgresql dbname=mcpgate user=mcpgate
//
// with PG* environment variables and ~/.pgpass for what it leaves out. The
// tables live in the first schema of search_path (?search_path=mcpgate to
// choose one; it must exist). Besides the server's settings, url takes
// pool_max_conns, pool_max_conn_lifetime and pool_max_conn_idle_time, as
// pgxpool does. What url leaves out defaults to connect_timeout=5,
// pool_max_conns=10, pool_max_conn_lifetime=30m, pool_max_conn_idle_time=5m,
// application_name=mcpgate and idle_in_transaction_session_timeout=30s
// (see config.go for why). An unreachable server is an error wrapping
// store.ErrUnavailable, so that a caller may retry.
func Open(ctx context.Context, url string, opts ...store.Option) (*Store, error) {
	cfg, pool, err := parseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	_, idleInTxSet := cfg.RuntimeParams["idle_in_transaction_session_timeout"]
	db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		if idleInTxSet {
			return nil
		}
		// SET rather than a startup parameter, which PgBouncer refuses.
		_, err := c.Exec(ctx, "SET idle_in_transaction_session_timeout = '"+defaultIdleInTxTimeout+"'")
		return err
	}))
	pool.apply(db)
	s, err := sqlstore.New(ctx, db, dialect, opts...)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return &Store{sqlStore: s, db: db}, nil
}
