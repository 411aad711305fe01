package redis

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultPrefix starts every key when the URL names no prefix.
const DefaultPrefix = "mcpgate:"

// Timeouts and retries unless the URL sets them. go-redis would wait 5s
// for a reply; 3s is already far beyond what a healthy Redis takes, and a
// request waiting on a stuck one should get its 503 sooner.
//
// go-redis retries a failed command (maxRetries more times, with backoff
// from 10ms) and, below that, a failed dial (5 times by default). Stacked,
// a Redis that is down kept every call waiting 1.7s, and a blackholed one
// up to 4×5×5s. One dial per attempt and three attempts keep a refused
// connection's 503 under 100ms and a blackholed one's under 3×dialTimeout,
// while still riding out what retries are for: a pooled connection that a
// Redis restart killed. After PoolSize failed dials go-redis fails calls at
// once and redials in the background, about once a second.
const (
	dialTimeout   = 5 * time.Second
	readTimeout   = 3 * time.Second
	writeTimeout  = 3 * time.Second
	maxRetries    = 2
	dialerRetries = 1
)

// parseURL reads redis://[user:password@]host:port/db (rediss:// for TLS)
// with go-redis's query options (dial_timeout=, pool_size=, ...) and ours:
// prefix=, the key prefix.
func parseURL(raw string) (*goredis.Options, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("invalid URL: %w", hideURL(err))
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, "", fmt.Errorf("URL scheme %q: want redis:// or rediss://", u.Scheme)
	}
	q := u.Query()
	prefix := DefaultPrefix
	if vs, ok := q["prefix"]; ok {
		switch {
		case len(vs) != 1:
			return nil, "", errors.New("prefix given more than once")
		case vs[0] == "":
			// Unprefixed keys would mingle with whatever else uses the
			// database, and a test's cleanup would delete all of it.
			return nil, "", errors.New("empty prefix")
		}
		prefix = vs[0]
		// go-redis refuses options it does not know.
		q.Del("prefix")
		u.RawQuery = q.Encode()
	}
	opts, err := goredis.ParseURL(u.String())
	if err != nil {
		return nil, "", hideURL(err)
	}
	if !q.Has("dial_timeout") {
		opts.DialTimeout = dialTimeout
	}
	if !q.Has("read_timeout") {
		opts.ReadTimeout = readTimeout
	}
	if !q.Has("write_timeout") {
		opts.WriteTimeout = writeTimeout
	}
	if !q.Has("max_retries") {
		opts.MaxRetries = maxRetries
	}
	// Not a URL option of go-redis.
	opts.DialerRetries = dialerRetries
	return opts, prefix, nil
}

// hideURL drops the URL that a *url.Error repeats: it carries the password.
func hideURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
