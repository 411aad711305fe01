package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// fail gives err its context and wraps store.ErrUnavailable when err means
// that Redis could not serve the call, which callers answer with a 503.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		// The caller gave up (or its deadline passed): that is its own
		// doing, not an outage, even if Redis was merely slow.
		return fmt.Errorf("redis: %s: %w", op, err)
	case s.closed.Load() || unavailable(err):
		return fmt.Errorf("redis: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("redis: %s: %w", op, err)
}

// unavailable reports whether err says that Redis could not serve the
// request now but may later, as opposed to a request it refused.
func unavailable(err error) bool {
	switch {
	case errors.Is(err, goredis.ErrClosed),
		errors.Is(err, goredis.ErrPoolTimeout),
		errors.Is(err, goredis.ErrPoolExhausted),
		// A connection Redis closed, for instance when restarting.
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE):
		return true
	}
	// Dial failures, i/o timeouts, DNS errors.
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	// Replies of a Redis that is up but cannot serve: loading its data
	// after a restart, a replica cut off from its primary, a former
	// primary demoted by a failover, a script hogging the server, full.
	return goredis.IsLoadingError(err) ||
		goredis.IsMasterDownError(err) ||
		goredis.IsReadOnlyError(err) ||
		goredis.IsTryAgainError(err) ||
		goredis.IsClusterDownError(err) ||
		goredis.IsMaxClientsError(err) ||
		goredis.IsOOMError(err) ||
		goredis.HasErrorPrefix(err, "BUSY ")
}

// errKeyChanged refuses an updater that changed the record's key: writing
// would either move the record or leave two.
var errKeyChanged = errors.New("the updater changed the key")
