package proxy

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// hourlyLimiter allows each key a number of events per hour. It lives in
// one replica's memory: with N replicas the effective limit is up to N
// times higher, which is enough to stop a registration flood.
type hourlyLimiter struct {
	limit int
	mu    sync.Mutex
	hits  map[string][]time.Time
}

func newHourlyLimiter(limit int) *hourlyLimiter {
	return &hourlyLimiter{limit: limit, hits: map[string][]time.Time{}}
}

// allow records an event for key unless the key is over its limit.
func (l *hourlyLimiter) allow(key string, now time.Time) bool {
	if l == nil || l.limit <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cutoff := now.Add(-time.Hour)
	if len(l.hits) > 10_000 {
		for k, ts := range l.hits {
			if len(ts) == 0 || ts[len(ts)-1].Before(cutoff) {
				delete(l.hits, k)
			}
		}
	}
	recent := l.hits[key][:0]
	for _, t := range l.hits[key] {
		if t.After(cutoff) {
			recent = append(recent, t)
		}
	}
	if len(recent) >= l.limit {
		l.hits[key] = recent
		return false
	}
	l.hits[key] = append(recent, now)
	return true
}

// clientIP is the address of the client: the peer, unless the peer is a
// trusted proxy, in which case X-Forwarded-For is read from the right,
// skipping trusted proxies, and the first address not trusted is the
// client's. Entries left of it could be forged by the client itself.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !inPrefixes(addr, trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return host // a malformed chain: fall back to what we saw
		}
		if !inPrefixes(hop.Unmap(), trusted) {
			return hop.Unmap().String()
		}
	}
	return host
}

func inPrefixes(a netip.Addr, prefixes []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
