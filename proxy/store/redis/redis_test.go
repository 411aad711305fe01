package redis

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/storetest"
)

// testURL is the Redis the tests use: MCPGATE_TEST_REDIS_URL, or the local
// default. Every test works under a prefix of its own, so the database may
// be shared with anything else.
func testURL() string {
	if u := os.Getenv("MCPGATE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

var admin struct {
	once sync.Once
	rdb  *goredis.Client
	err  error
}

// needRedis returns a client for inspecting and cleaning up the test Redis.
// Without a Redis the test is skipped, except in CI, where a skip would
// pass silently what was never tested.
func needRedis(t *testing.T) *goredis.Client {
	t.Helper()
	admin.once.Do(func() {
		opts, err := goredis.ParseURL(testURL())
		if err != nil {
			admin.err = err
			return
		}
		opts.MaxRetries = -1
		rdb := goredis.NewClient(opts)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if admin.err = rdb.Ping(ctx).Err(); admin.err != nil {
			rdb.Close()
			return
		}
		admin.rdb = rdb
	})
	if admin.err != nil {
		if _, ci := os.LookupEnv("CI"); ci {
			t.Fatalf("no Redis at %s (set MCPGATE_TEST_REDIS_URL to use another): %v; CI must run these tests against a Redis service, not skip them", testURL(), admin.err)
		}
		t.Skipf("no Redis at %s (set MCPGATE_TEST_REDIS_URL to use another): %v", testURL(), admin.err)
	}
	return admin.rdb
}

// testPrefix returns a key prefix of the test's own and deletes every key
// under it when the test ends.
func testPrefix(t *testing.T) string {
	t.Helper()
	rdb := needRedis(t)
	prefix := "mcpgate-test:" + rand.Text() + ":"
	t.Cleanup(func() {
		// t.Context() is already done when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// The prefix has no glob metacharacters: it is ours, see above.
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleanup: scan %s*: %v", prefix, err)
			return
		}
		for chunk := range slices.Chunk(keys, 500) {
			if err := rdb.Del(ctx, chunk...).Err(); err != nil {
				t.Errorf("cleanup: del: %v", err)
			}
		}
	})
	return prefix
}

// withPrefix adds prefix= to a Redis URL.
func withPrefix(t *testing.T, raw, prefix string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("test URL: %v", err)
	}
	q := u.Query()
	q.Set("prefix", prefix)
	u.RawQuery = q.Encode()
	return u.String()
}

// openTest opens a store on the test Redis under prefix.
func openTest(t *testing.T, prefix string) *Store {
	t.Helper()
	s, err := Open(t.Context(), withPrefix(t, testURL(), prefix))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// newTestStore is a fresh, empty store of the test's own; it is closed when
// the test ends.
func newTestStore(t *testing.T) *Store {
	t.Helper()
	s := openTest(t, testPrefix(t))
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	needRedis(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		// storetest closes the store; the prefix cleanup runs after that.
		return openTest(t, testPrefix(t))
	})
	storetest.RunClock(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := Open(t.Context(), withPrefix(t, testURL(), testPrefix(t)), store.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// keysUnder lists the keys under prefix, without it, sorted.
func keysUnder(t *testing.T, prefix string) []string {
	t.Helper()
	rdb := needRedis(t)
	var keys []string
	iter := rdb.Scan(t.Context(), 0, prefix+"*", 1000).Iterator()
	for iter.Next(t.Context()) {
		keys = append(keys, strings.TrimPrefix(iter.Val(), prefix))
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return sortedStrings(keys)
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
