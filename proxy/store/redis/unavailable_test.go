package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/proxy/store"
)

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

// Needs no Redis: nothing listens on the port.
func TestOpenUnreachable(t *testing.T) {
	start := time.Now()
	_, err := Open(t.Context(), "redis://"+closedPort(t)+"/0")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Open on a closed port: got %v, want ErrUnavailable", err)
	}
	t.Logf("Open failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
}

// Needs no Redis: answers LOADING as a Redis reading its dump does.
func TestOpenLoading(t *testing.T) {
	p := startProxy(t, closedPort(t))
	p.stop()
	p.start(true)
	_, err := Open(t.Context(), "redis://"+p.addr+"/0")
	if !errors.Is(err, store.ErrUnavailable) || !goredis.IsLoadingError(err) {
		t.Fatalf("Open on a loading Redis: got %v, want ErrUnavailable wrapping LOADING", err)
	}
}

// proxiedURL is the test Redis's URL with the proxy's address instead.
func proxiedURL(t *testing.T, p *proxy, prefix string) string {
	t.Helper()
	u, err := url.Parse(withPrefix(t, testURL(), prefix))
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.addr
	return u.String()
}

// TestOutage takes Redis away under an open store, brings it back loading,
// then serving: calls fail with ErrUnavailable meanwhile, without waiting
// long, and work again afterwards on the same store.
func TestOutage(t *testing.T) {
	needRedis(t)
	opts, err := goredis.ParseURL(testURL())
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, opts.Addr)
	s, err := Open(t.Context(), proxiedURL(t, p, testPrefix(t)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	c := store.Client{ID: "c1", Name: "before", CreatedAt: time.Now()}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}

	// Down: nothing listens.
	p.stop()
	for name, call := range everyCall(s) {
		start := time.Now()
		if err := call(ctx); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s, Redis down: got %v, want ErrUnavailable", name, err)
		}
		// go-redis retries a few times, with backoff; a request must
		// still get its 503 promptly.
		t.Logf("%s failed after %v", name, time.Since(start).Round(time.Millisecond))
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s, Redis down: took %v to fail", name, d)
		}
	}

	// Back, but loading its data. After a run of failed dials, go-redis
	// fails calls at once with the last dial error and redials in the
	// background, about once a second: wait for it to notice.
	p.start(true)
	eventually(t, "Redis answering LOADING", func() error {
		if _, err := s.GetClient(ctx, "c1"); !goredis.IsLoadingError(err) {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})
	for name, call := range everyCall(s) {
		if err := call(ctx); !errors.Is(err, store.ErrUnavailable) || !goredis.IsLoadingError(err) {
			t.Errorf("%s, Redis loading: got %v, want ErrUnavailable wrapping LOADING", name, err)
		}
	}

	// Serving again: the pool holds connections the outage killed, which
	// go-redis must replace without failing calls.
	p.stop()
	p.start(false)
	eventually(t, "Redis serving again", func() error {
		_, err := s.GetClient(ctx, "c1")
		return err
	})
	for name, call := range everyCall(s) {
		if err := call(ctx); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after Redis came back: %v", name, err)
		}
	}
	got, err := s.GetClient(ctx, "c1")
	if err != nil || got.Name != "before" {
		t.Errorf("GetClient after the outage: %+v, %v; want the client created before", got, err)
	}
}

// eventually retries f for a few seconds until it succeeds.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after 5s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// everyCall exercises one of each kind of Redis interaction: plain reads,
// scripts, locked updates, pipelines, SET NX GET.
func everyCall(s *Store) map[string]func(context.Context) error {
	exp := time.Now().Add(time.Hour)
	return map[string]func(context.Context) error{
		"GetClient": func(ctx context.Context) error { _, err := s.GetClient(ctx, "c1"); return err },
		"CreateAuthRequest": func(ctx context.Context) error {
			return s.CreateAuthRequest(ctx, store.AuthRequest{ID: "r1", ExpiresAt: exp})
		},
		"UpdateClient": func(ctx context.Context) error {
			return s.UpdateClient(ctx, "c1", func(*store.Client) error { return nil })
		},
		"DeleteConsent": func(ctx context.Context) error { return s.DeleteConsent(ctx, "alice", "c1") },
		"RotateRefreshToken": func(ctx context.Context) error {
			return s.RotateRefreshToken(ctx, "h1", func(*store.RefreshToken) (*store.RefreshToken, error) { return nil, nil })
		},
		"RevokeGrant": func(ctx context.Context) error {
			return s.RevokeGrant(ctx, store.Revocation{FamilyID: "fam", RevokedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
		},
		"ListSigningKeys": func(ctx context.Context) error { _, err := s.ListSigningKeys(ctx); return err },
		"EnsureSecret":    func(ctx context.Context) error { _, err := s.EnsureSecret(ctx, "s", []byte("v")); return err },
		"ClaimOnce":       func(ctx context.Context) error { return s.ClaimOnce(ctx, "jti", exp) },
		"GarbageCollect":  func(ctx context.Context) error { _, err := s.GarbageCollect(ctx, time.Now()); return err },
		"Revocations":     func(ctx context.Context) error { _, err := s.Revocations(ctx, time.Time{}); return err },
		"Increment":       func(ctx context.Context) error { _, err := s.Increment(ctx, "k", exp); return err },
		"RedeemAuthCode": func(ctx context.Context) error {
			return s.RedeemAuthCode(ctx, "h1", func(store.AuthCode) (*store.RefreshToken, error) { return nil, nil })
		},
	}
}

// A caller that gives up is told so, not that Redis is unavailable.
func TestCallerCancelled(t *testing.T) {
	s := newTestStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.GetClient(ctx, "c1")
	if !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("GetClient with a cancelled context: got %v, want context.Canceled only", err)
	}
}

type fakeRedisError string

func (e fakeRedisError) Error() string { return string(e) }
func (fakeRedisError) RedisError()     {}

func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{goredis.ErrClosed, true},
		{goredis.ErrPoolTimeout, true},
		{io.EOF, true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{fmt.Errorf("wrapped: %w", &net.OpError{Op: "read", Net: "tcp", Err: &timeoutError{}}), true},
		{fakeRedisError("LOADING Redis is loading the dataset in memory"), true},
		{fakeRedisError("MASTERDOWN Link with MASTER is down"), true},
		{fakeRedisError("READONLY You can't write against a read only replica."), true},
		{fakeRedisError("BUSY Redis is busy running a script."), true},
		{fakeRedisError("OOM command not allowed when used memory > 'maxmemory'."), true},
		{goredis.Nil, false},
		{goredis.TxFailedErr, false},
		{fakeRedisError("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{fakeRedisError("NOPERM this user has no permissions to run the 'eval' command"), false},
		{fakeRedisError("WRONGPASS invalid username-password pair"), false},
		{errors.New("corrupt record"), false},
	} {
		if got := unavailable(tc.err); got != tc.want {
			t.Errorf("unavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

type timeoutError struct{}

func (*timeoutError) Error() string   { return "i/o timeout" }
func (*timeoutError) Timeout() bool   { return true }
func (*timeoutError) Temporary() bool { return true }
