package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// classify maps pgx and database/sql errors onto the store sentinels.
//
// ErrUnavailable is anything that says "the server, or the way to it, is
// not working right now" rather than "this request is wrong": the caller
// answers 503 and the next call, on a fresh connection, may well succeed.
func classify(err error) error {
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		// The caller gave up (the client went away): nothing is wrong
		// with the backend. pgx reports it as a timeout too, so this
		// comes first.
		return nil
	case errors.As(err, &connectErr):
		// Refused, unreachable, timed out, or turned away during startup
		// (57P03 the database system is starting up, too many clients).
		return store.ErrUnavailable
	case errors.As(err, &pgErr):
		return classifyCode(pgErr.Code)
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		// Failed before the statement was sent: the connection was
		// already broken.
		pgconn.SafeToRetry(err),
		// The caller's deadline passed while the server did not answer.
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err),
		// The connection broke mid-statement: server restart, network.
		errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return store.ErrUnavailable
	}
	return nil
}

// classifyCode maps an SQLSTATE (appendix A of the PostgreSQL manual).
func classifyCode(code string) error {
	switch code {
	case "23505": // unique_violation
		return store.ErrAlreadyExists
	case "57P01", // admin_shutdown: the server is stopping or restarting
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now: starting up, or in recovery
		"57014", // query_canceled: statement_timeout, or pg_cancel_backend
		"40001", // serialization_failure
		"40P01", // deadlock_detected: the engine picked this one to abort
		"55P03", // lock_not_available: lock_timeout
		"25P03", // idle_in_transaction_session_timeout
		"25006": // read_only_sql_transaction: connected to a standby after a failover
		return store.ErrUnavailable
	}
	switch code[:2] {
	case "08", // connection_exception
		"53", // insufficient_resources: disk full, out of memory, too many connections
		"58": // system_error: I/O error
		return store.ErrUnavailable
	}
	return nil
}
