package proxy

import (
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
