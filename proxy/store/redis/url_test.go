package redis

import (
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url                 string
		addr, user, pass    string
		db                  int
		tls                 bool
		prefix              string
		dial, read, write   time.Duration
		poolSize            int
		wantErr, notInError string
	}{
		{
			url:  "redis://127.0.0.1:6379",
			addr: "127.0.0.1:6379", prefix: DefaultPrefix,
			dial: 5 * time.Second, read: 3 * time.Second, write: 3 * time.Second,
		},
		{
			url:  "redis://cache:6379/2",
			addr: "cache:6379", db: 2, prefix: DefaultPrefix,
			dial: 5 * time.Second, read: 3 * time.Second, write: 3 * time.Second,
		},
		{
			url:  "rediss://mcpgate:s3cr%40t@cache.example.com:6380/0?prefix=prod:",
			addr: "cache.example.com:6380", user: "mcpgate", pass: "s3cr@t", tls: true, prefix: "prod:",
			dial: 5 * time.Second, read: 3 * time.Second, write: 3 * time.Second,
		},
		{
			// Password only (requirepass): no user.
			url:  "redis://:pw@cache:6379/1?prefix=a%26b:",
			addr: "cache:6379", pass: "pw", db: 1, prefix: "a&b:",
			dial: 5 * time.Second, read: 3 * time.Second, write: 3 * time.Second,
		},
		{
			// go-redis's own options still work next to ours, and win
			// over our defaults.
			url:  "redis://cache:6379/0?read_timeout=1s&prefix=x:&pool_size=7&dial_timeout=2s",
			addr: "cache:6379", prefix: "x:",
			dial: 2 * time.Second, read: time.Second, write: 3 * time.Second, poolSize: 7,
		},
		{url: "http://cache:6379", wantErr: `scheme "http"`},
		{url: "unix:///run/redis.sock", wantErr: `scheme "unix"`},
		{url: "redis://cache:6379/zero", wantErr: "database number"},
		{url: "redis://cache:6379/0?prefix=", wantErr: "empty prefix"},
		{url: "redis://cache:6379/0?prefix=a:&prefix=b:", wantErr: "more than once"},
		{url: "redis://cache:6379/0?bogus=1", wantErr: "bogus"},
		{
			// The password must not end up in logs through the error.
			url:     "redis://user:hunter2@cache:port/0",
			wantErr: "invalid", notInError: "hunter2",
		},
		{url: "redis://user:hunter2@cache:6379/0?prefix=", wantErr: "empty prefix", notInError: "hunter2"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			opts, prefix, err := parseURL(tc.url)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseURL: got error %v, want one containing %q", err, tc.wantErr)
				}
				if tc.notInError != "" && strings.Contains(err.Error(), tc.notInError) {
					t.Errorf("error %q gives away %q", err, tc.notInError)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseURL: %v", err)
			}
			if opts.Addr != tc.addr || opts.Username != tc.user || opts.Password != tc.pass || opts.DB != tc.db {
				t.Errorf("got addr %q user %q password %q db %d, want %q %q %q %d",
					opts.Addr, opts.Username, opts.Password, opts.DB, tc.addr, tc.user, tc.pass, tc.db)
			}
			if got := opts.TLSConfig != nil; got != tc.tls {
				t.Errorf("TLS = %v, want %v", got, tc.tls)
			}
			if tc.tls && opts.TLSConfig.ServerName != strings.Split(tc.addr, ":")[0] {
				t.Errorf("TLS server name %q, want the host of %q", opts.TLSConfig.ServerName, tc.addr)
			}
			if prefix != tc.prefix {
				t.Errorf("prefix %q, want %q", prefix, tc.prefix)
			}
			if opts.DialTimeout != tc.dial || opts.ReadTimeout != tc.read || opts.WriteTimeout != tc.write {
				t.Errorf("timeouts dial %v read %v write %v, want %v %v %v",
					opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, tc.dial, tc.read, tc.write)
			}
			if opts.DialerRetries != 1 || opts.MaxRetries != 2 {
				t.Errorf("dialer retries %d, max retries %d; want 1 and 2", opts.DialerRetries, opts.MaxRetries)
			}
			if opts.PoolSize != tc.poolSize {
				t.Errorf("pool size %d, want %d", opts.PoolSize, tc.poolSize)
			}
		})
	}
}

func TestOpenBadURL(t *testing.T) {
	if _, err := Open(t.Context(), "redis://cache:6379/0?prefix="); err == nil {
		t.Fatal("Open with an empty prefix: got no error")
	}
}
