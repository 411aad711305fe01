package redis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on Redis. Create it with Open.
type Store struct {
	rdb    *goredis.Client
	prefix string
	closed atomic.Bool

	// lockTTL bounds how long a crashed updater keeps a record locked;
	// lockWait is how long an update waits for the lock before giving up.
	// Fields rather than constants so that tests can shorten them.
	lockTTL, lockWait time.Duration
	// now judges liveness; Redis's own TTLs follow its clock.
	now func() time.Time
}

// Lock timing: an update holds its lock for a few round trips, so 5s means
// Redis or the holder is stuck. Waiting twice as long lets a waiter outlast
// a holder that died with the lock.
const (
	defaultLockTTL  = 5 * time.Second
	defaultLockWait = 2 * defaultLockTTL
)

// Open connects to the Redis at url (see parseURL for the form) and checks
// that it answers and is recent enough. A Redis that cannot be reached is
// an error wrapping store.ErrUnavailable.
func Open(ctx context.Context, url string, storeOpts ...store.Option) (*Store, error) {
	opts, prefix, err := parseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: open: %w", err)
	}
	s := &Store{
		rdb:      goredis.NewClient(opts),
		prefix:   prefix,
		lockTTL:  defaultLockTTL,
		lockWait: defaultLockWait,
		now:      store.Apply(storeOpts).Now,
	}
	op := "open " + opts.Addr
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		s.rdb.Close()
		return nil, s.fail(ctx, op, err)
	}
	if err := s.checkVersion(ctx); err != nil {
		s.rdb.Close()
		return nil, s.fail(ctx, op, err)
	}
	return s, nil
}

// checkVersion refuses a Redis older than 7.0, which lacks commands this
// package relies on (PEXPIREAT NX/GT, SET NX GET, ZRANGE BYSCORE): better a
// clear error at start-up than syntax errors at the first login. A server
// that does not allow INFO (managed services can disable it) is given the
// benefit of the doubt.
func (s *Store) checkVersion(ctx context.Context) error {
	info, err := s.rdb.Info(ctx, "server").Result()
	if err != nil {
		if unavailable(err) {
			return err
		}
		return nil
	}
	for line := range strings.Lines(info) {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:")
		if !ok {
			continue
		}
		major, _, _ := strings.Cut(v, ".")
		if n, err := strconv.Atoi(major); err == nil && n < 7 {
			return fmt.Errorf("server version %s: need Redis 7.0 or later", v)
		}
	}
	return nil
}

// Close implements store.Store. Later calls fail with store.ErrUnavailable
// (go-redis reports its closed client as such, see unavailable).
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// Key layout; doc.go has the full list.

func (s *Store) recordKey(tag, id string) string { return s.prefix + tag + ":" + id }
func (s *Store) indexKey(tag string) string      { return s.prefix + "exp:" + tag }
func (s *Store) familyKey(family string) string  { return s.prefix + "family:" + family }
func (s *Store) revocationsKey() string          { return s.prefix + "revoked" }
func (s *Store) revocationExpiryKey() string     { return s.prefix + "exp:revoked" }
func (s *Store) lockKey(tag, id string) string   { return s.prefix + "lock:" + tag + ":" + id }
func (s *Store) secretKey(name string) string    { return s.prefix + "secret:" + name }
