package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/postgres"
)

// withHost returns raw pointing at addr instead.
func withHost(t *testing.T, raw, addr string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestUnreachable needs no server: an Open that cannot connect is
// ErrUnavailable, so that a starting replica can tell "retry" from "fix
// the configuration".
func TestUnreachable(t *testing.T) {
	base := "postgres://postgres@127.0.0.1/test?sslmode=disable&connect_timeout=1"
	refused := withHost(t, base, closedPort(t))

	// A server that accepts and never answers: only the timeouts end it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	silent := withHost(t, base, ln.Addr().String())

	for _, tc := range []struct {
		name, url string
		timeout   time.Duration
	}{
		{"refused", refused, time.Minute},
		{"connect_timeout", silent, time.Minute},
		{"context deadline", withParams(t, silent, map[string]string{"connect_timeout": "30"}), 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), tc.timeout)
			defer cancel()
			began := time.Now()
			s, err := postgres.Open(ctx, tc.url)
			if err == nil {
				s.Close()
				t.Fatal("Open: got no error")
			}
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("Open: got %v, want ErrUnavailable", err)
			}
			if took := time.Since(began); took > 10*time.Second {
				t.Errorf("Open took %v to give up", took)
			}
		})
	}
}

// calls exercises one method of each kind of statement the store uses.
var calls = []struct {
	name string
	call func(ctx context.Context, s store.Store) error
}{
	{"GetClient", func(ctx context.Context, s store.Store) error { _, err := s.GetClient(ctx, "c1"); return err }},
	{"CreateClient", func(ctx context.Context, s store.Store) error {
		return s.CreateClient(ctx, store.Client{ID: fmt.Sprint("c-", time.Now().UnixNano())})
	}},
	{"UpdateClient", func(ctx context.Context, s store.Store) error {
		return s.UpdateClient(ctx, "c1", func(c *store.Client) error { c.Name = "updated"; return nil })
	}},
	{"ClaimOnce", func(ctx context.Context, s store.Store) error {
		return s.ClaimOnce(ctx, fmt.Sprint("jti-", time.Now().UnixNano()), time.Now().Add(time.Hour))
	}},
	{"ListSigningKeys", func(ctx context.Context, s store.Store) error { _, err := s.ListSigningKeys(ctx); return err }},
	{"GarbageCollect", func(ctx context.Context, s store.Store) error {
		_, err := s.GarbageCollect(ctx, time.Now())
		return err
	}},
}

// TestOutage cuts the store off from the server and restores it: every
// call in between is ErrUnavailable, and the first call after succeeds on
// a new connection.
func TestOutage(t *testing.T) {
	_, schemaURL := freshSchema(t)
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	s := open(t, withHost(t, schemaURL, p.addr))
	defer s.Close()
	ctx := t.Context()
	if err := s.CreateClient(ctx, store.Client{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if err := c.call(ctx, s); err != nil {
			t.Fatalf("%s before the outage: %v", c.name, err)
		}
	}

	p.stop()
	for _, c := range calls {
		callCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := c.call(callCtx, s)
		cancel()
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s during the outage: got %v, want ErrUnavailable", c.name, err)
		}
		t.Logf("%s during the outage: %v", c.name, err)
	}

	p.start()
	for _, c := range calls {
		if err := c.call(ctx, s); err != nil {
			t.Errorf("%s after the outage: %v", c.name, err)
		}
	}
}

// TestTerminatedSessions ends the store's sessions the way a server
// shutdown does (FATAL 57P01 admin_shutdown): calls may fail, with
// ErrUnavailable, until the pool has replaced the dead connections, which
// takes at most one failed call per connection.
func TestTerminatedSessions(t *testing.T) {
	schema, url := freshSchema(t)
	s := open(t, withParams(t, url, map[string]string{"pool_max_conns": "4"}))
	defer s.Close()
	ctx := t.Context()
	if err := s.CreateClient(ctx, store.Client{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	// Fill the pool, so that there are several dead connections to meet,
	// twice: pgx pings a connection before its first reuse, and after a
	// second of idleness, and would find it dead; connections just used
	// are not pinged, and the next call on them meets the FATAL error.
	conns := make([]*sql.Conn, 4)
	for range 2 {
		for i := range conns {
			c, err := s.DB().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns[i] = c
		}
		for _, c := range conns {
			c.Close() // back to the pool
		}
	}

	if n := count(t, "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", schema); n == 0 {
		t.Fatal("no session of the store to terminate")
	}
	var failures int
	for i := 0; ; i++ {
		err := calls[i%len(calls)].call(ctx, s)
		if err == nil {
			break
		}
		failures++
		t.Logf("call %d after the sessions ended: %v", i, err)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("call %d after the sessions ended: got %v, want ErrUnavailable", i, err)
		}
		if failures > len(conns)+1 {
			t.Fatalf("%d calls failed after the sessions ended; the pool is not replacing them", failures)
		}
	}
	for _, c := range calls {
		if err := c.call(ctx, s); err != nil {
			t.Errorf("%s once the pool has recovered: %v", c.name, err)
		}
	}
}
