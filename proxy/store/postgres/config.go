package postgres

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Defaults for what the URL leaves out.
const (
	// defaultConnectTimeout bounds dialling, TLS and authentication. Without
	// it a call made while the server is unreachable (a blackholed address,
	// not a refused port) would hang for as long as its context allows.
	defaultConnectTimeout = 5 * time.Second
	// defaultMaxConns bounds what one replica takes of max_connections
	// (100 by default, shared by every replica). Store calls hold a
	// connection for a few milliseconds, so ten serve a lot of requests;
	// the rest queue in database/sql until their context ends.
	defaultMaxConns = 10
	// defaultMaxConnLifetime recycles connections so that a replica
	// follows a failover or a DNS change instead of clinging to the old
	// server for as long as the connection lives.
	defaultMaxConnLifetime = 30 * time.Minute
	// defaultMaxConnIdleTime returns connections a burst opened.
	defaultMaxConnIdleTime = 5 * time.Minute
	// defaultIdleInTxTimeout makes the server end a session that sits in an
	// open transaction: a replica cut off mid-transaction would otherwise
	// keep its row locks, and every other replica's update of those rows
	// waiting, until TCP keepalive gives up (hours). Store transactions
	// last milliseconds; this is far beyond any of them.
	defaultIdleInTxTimeout = "30s"
	// defaultApplicationName shows in pg_stat_activity.
	defaultApplicationName = "mcpgate"
)

// poolConfig is how the database/sql pool is sized. The URL parameters
// carry pgxpool's names so that a URL written for pgxpool means the same.
type poolConfig struct {
	maxConns        int
	maxConnLifetime time.Duration
	maxConnIdleTime time.Duration
}

func (p poolConfig) apply(db *sql.DB) {
	db.SetMaxOpenConns(p.maxConns)
	// database/sql keeps 2 idle connections by default and closes the
	// rest after each burst, reconnecting on the next; keep them all.
	db.SetMaxIdleConns(p.maxConns)
	db.SetConnMaxLifetime(p.maxConnLifetime)
	db.SetConnMaxIdleTime(p.maxConnIdleTime)
}

// parseConfig reads url as pgx does (URL or keyword/value, PG* environment
// variables and .pgpass for what it leaves out), takes out the pool_*
// parameters, which are ours and would otherwise be sent to the server as
// settings, and fills in the defaults above.
func parseConfig(url string) (*pgx.ConnConfig, poolConfig, error) {
	pool := poolConfig{defaultMaxConns, defaultMaxConnLifetime, defaultMaxConnIdleTime}
	if url == "" {
		// pgx would connect wherever the environment points, or to a
		// local socket: an unset setting should not look like a choice.
		return nil, pool, errors.New("empty URL")
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message redacts the password.
		return nil, pool, err
	}
	params := cfg.RuntimeParams
	if v, ok := take(params, "pool_max_conns"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, pool, fmt.Errorf("pool_max_conns %q: want a positive integer", v)
		}
		pool.maxConns = n
	}
	for name, dst := range map[string]*time.Duration{
		"pool_max_conn_lifetime":  &pool.maxConnLifetime,
		"pool_max_conn_idle_time": &pool.maxConnIdleTime,
	} {
		if v, ok := take(params, name); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, pool, fmt.Errorf("%s %q: want a duration such as 30m", name, v)
			}
			*dst = d
		}
	}
	if cfg.ConnectTimeout == 0 {
		// Also when the URL says connect_timeout=0 (libpq's "forever"):
		// a request must not wait forever for a server that is gone.
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	if _, ok := params["application_name"]; !ok {
		params["application_name"] = defaultApplicationName
	}
	return cfg, pool, nil
}

func take(m map[string]string, key string) (string, bool) {
	v, ok := m[key]
	delete(m, key)
	return v, ok
}
