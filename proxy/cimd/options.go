package cimd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultHTTPTimeout = 5 * time.Second
	DefaultMaxBytes    = 16 << 10
	DefaultCacheMin    = 5 * time.Minute
	DefaultCacheMax    = 24 * time.Hour
	// DefaultMaxFetches is how many documents may be fetched at once.
	DefaultMaxFetches = 16
	// DefaultHostFetches is how many documents of one host may be fetched
	// at once, and DefaultHostFetchesPerMinute how many a minute: a real
	// client publishes one or two documents, cached for minutes at least.
	DefaultHostFetches          = 2
	DefaultHostFetchesPerMinute = 10
	// DefaultFetchesPerMinute bounds all fetches, whatever the host.
	DefaultFetchesPerMinute = 120
)

// Options configure a Resolver. The zero value is usable: defaults apply to
// zero fields.
type Options struct {
	// HTTPTimeout bounds a whole fetch: connect, TLS, headers and body.
	HTTPTimeout time.Duration
	// MaxBytes bounds the document; metadata documents are small.
	MaxBytes int64
	// RootCAs verifies the document servers; nil means the system roots.
	RootCAs *x509.CertPool
	// AllowedNetworks are exceptions to the ban on non-public addresses
	// (loopback, private, link-local...), for example an internal client
	// registry. Empty by default.
	AllowedNetworks []netip.Prefix
	// AllowDomains and DenyDomains are the trust policy on the client_id's
	// host: each entry is an exact host ("app.example.com", or an IP
	// literal) or "*.example.com", which matches every name below
	// example.com but not example.com itself. Matching ignores case. Deny
	// wins; an empty AllowDomains allows every host not denied.
	AllowDomains, DenyDomains []string
	// CacheMin and CacheMax bound how long a fetched document is used,
	// whatever its HTTP cache headers say.
	CacheMin, CacheMax time.Duration
	// MaxFetches, HostFetches, HostFetchesPerMinute and FetchesPerMinute
	// bound the outbound fetches anonymous requests can cause; a
	// resolution past them fails at once (ErrFetchFailed) without
	// fetching, and is not cached, so a legitimate client retrying later
	// is served. Zero means the defaults above.
	MaxFetches, HostFetches, HostFetchesPerMinute, FetchesPerMinute int
	// Resolver looks up a host's addresses; nil uses net.DefaultResolver.
	// Tests inject fixed answers.
	Resolver func(ctx context.Context, host string) ([]netip.Addr, error)
	// Now is the clock of the cache; nil uses time.Now. Network timeouts
	// always use the real clock.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Resolver turns URL client_ids into clients by fetching their metadata
// documents, with a cache. It is safe for concurrent use. Create it with
// New.
type Resolver struct {
	timeout      time.Duration
	maxBytes     int64
	cacheMin     time.Duration
	cacheMax     time.Duration
	allowed      []netip.Prefix
	allowDomains []string
	denyDomains  []string
	lookup       func(ctx context.Context, host string) ([]netip.Addr, error)
	now          func() time.Time
	log          *slog.Logger
	client       *http.Client
	dialer       *net.Dialer
	// dialAddr connects to one address that already passed the check. It
	// is r.dialer.DialContext; tests replace it to simulate a network that
	// delivers the connection somewhere else than the checked address.
	dialAddr func(ctx context.Context, network, address string) (net.Conn, error)

	mu         sync.Mutex
	cache      map[string]cacheEntry
	inflight   map[string]*call
	maxEntries int // maxCacheEntries; tests lower it
	budget     fetchBudget
}

// New checks opts, fills in defaults and returns a Resolver.
func New(opts Options) (*Resolver, error) {
	r := &Resolver{
		timeout:  orDefault(opts.HTTPTimeout, DefaultHTTPTimeout),
		maxBytes: orDefault(opts.MaxBytes, DefaultMaxBytes),
		cacheMin: orDefault(opts.CacheMin, DefaultCacheMin),
		cacheMax: orDefault(opts.CacheMax, DefaultCacheMax),
		lookup:   opts.Resolver,
		now:      opts.Now,
		log:      opts.Logger,
		cache:    make(map[string]cacheEntry),
		inflight: make(map[string]*call),

		maxEntries: maxCacheEntries,
		budget: fetchBudget{
			max:           orDefault(opts.MaxFetches, DefaultMaxFetches),
			perHost:       orDefault(opts.HostFetches, DefaultHostFetches),
			hostPerMinute: orDefault(opts.HostFetchesPerMinute, DefaultHostFetchesPerMinute),
			perMinute:     orDefault(opts.FetchesPerMinute, DefaultFetchesPerMinute),
			inflight:      map[string]int{},
			recent:        map[string][]time.Time{},
		},
	}
	switch {
	case opts.HTTPTimeout < 0, opts.MaxBytes < 0, opts.CacheMin < 0, opts.CacheMax < 0,
		opts.MaxFetches < 0, opts.HostFetches < 0, opts.HostFetchesPerMinute < 0, opts.FetchesPerMinute < 0:
		return nil, errors.New("cimd: durations, sizes and fetch limits must not be negative")
	case r.cacheMin > r.cacheMax:
		return nil, fmt.Errorf("cimd: CacheMin %v is above CacheMax %v", r.cacheMin, r.cacheMax)
	}
	for _, p := range opts.AllowedNetworks {
		if !p.IsValid() {
			return nil, fmt.Errorf("cimd: AllowedNetworks: invalid prefix %v", p)
		}
		r.allowed = append(r.allowed, normalizePrefix(p))
	}
	var err error
	if r.allowDomains, err = domainPatterns("AllowDomains", opts.AllowDomains); err != nil {
		return nil, err
	}
	if r.denyDomains, err = domainPatterns("DenyDomains", opts.DenyDomains); err != nil {
		return nil, err
	}
	if r.lookup == nil {
		r.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.dialer = &net.Dialer{Control: r.checkSocket}
	r.dialAddr = r.dialer.DialContext
	r.client = r.newHTTPClient(opts.RootCAs)
	return r, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
