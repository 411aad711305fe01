package postgres_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/postgres"
)

// TestClassify pins the error mapping, also for errors the integration
// tests cannot provoke without stopping the server.
func TestClassify(t *testing.T) {
	code := func(c string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Severity: "ERROR", Code: c}) }
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"unique violation", code("23505"), store.ErrAlreadyExists},
		{"admin shutdown", code("57P01"), store.ErrUnavailable},
		{"crash shutdown", code("57P02"), store.ErrUnavailable},
		{"starting up", code("57P03"), store.ErrUnavailable},
		{"connection failure", code("08006"), store.ErrUnavailable},
		{"too many connections", code("53300"), store.ErrUnavailable},
		{"disk full", code("53100"), store.ErrUnavailable},
		{"deadlock", code("40P01"), store.ErrUnavailable},
		{"serialization failure", code("40001"), store.ErrUnavailable},
		{"statement timeout", code("57014"), store.ErrUnavailable},
		{"read-only standby", code("25006"), store.ErrUnavailable},
		{"undefined table", code("42P01"), nil},
		{"foreign key", code("23503"), nil},
		{"connect error", &pgconn.ConnectError{}, store.ErrUnavailable},
		{"bad conn", driver.ErrBadConn, store.ErrUnavailable},
		{"conn done", sql.ErrConnDone, store.ErrUnavailable},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), store.ErrUnavailable},
		{"cancelled by the caller", fmt.Errorf("query: %w", context.Canceled), nil},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, store.ErrUnavailable},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), store.ErrUnavailable},
		{"cut mid-message", fmt.Errorf("receive: %w", io.ErrUnexpectedEOF), store.ErrUnavailable},
		{"other", errors.New("boom"), nil},
	} {
		if got := postgres.Classify(tc.err); got != tc.want {
			t.Errorf("%s: classify(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
