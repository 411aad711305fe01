package cimd

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// lifetime is how long a document fetched at now with headers h is used:
// the freshness lifetime its HTTP cache headers give (RFC 9111), clamped
// into [CacheMin, CacheMax]. A response with no freshness information gets
// CacheMin.
//
// no-store and no-cache count as zero and so get CacheMin. The floor is
// deliberate: without it, a document owner, or anyone sending a flood of
// authorization requests naming a no-store document, would make mcpgate
// fetch once per request.
func (r *Resolver) lifetime(h http.Header, now time.Time) time.Duration {
	d, ok := freshness(h, now)
	if !ok {
		d = r.cacheMin
	}
	return min(max(d, r.cacheMin), r.cacheMax)
}

// maxSeconds caps header values so that converting them to a Duration
// cannot overflow; anything this large is clamped to CacheMax anyway.
const maxSeconds = 1 << 32

// freshness reads the freshness lifetime from h; ok is false when h has
// none. mcpgate's cache is shared by all users, so s-maxage takes
// precedence over max-age, which takes precedence over Expires.
func freshness(h http.Header, now time.Time) (d time.Duration, ok bool) {
	maxAge, sMaxAge := int64(-1), int64(-1)
	for _, line := range h.Values("Cache-Control") {
		for _, directive := range strings.Split(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
			value = strings.Trim(strings.TrimSpace(value), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				maxAge = seconds(value)
			case "s-maxage":
				sMaxAge = seconds(value)
			}
		}
	}
	var lifetime time.Duration
	switch {
	case sMaxAge >= 0:
		lifetime = time.Duration(sMaxAge) * time.Second
	case maxAge >= 0:
		lifetime = time.Duration(maxAge) * time.Second
	case h.Get("Expires") != "":
		exp, err := http.ParseTime(h.Get("Expires"))
		if err != nil {
			// RFC 9111 §5.3: an invalid Expires means already expired.
			return 0, true
		}
		base := now
		if date, err := http.ParseTime(h.Get("Date")); err == nil {
			base = date
		}
		lifetime = exp.Sub(base)
	default:
		return 0, false
	}
	// Age is how long the response already sat in caches on the way.
	if age := seconds(h.Get("Age")); age > 0 {
		lifetime -= time.Duration(age) * time.Second
	}
	return max(lifetime, 0), true
}

// seconds parses a delta-seconds value (RFC 9111 §1.2.2). An invalid value
// is 0, which RFC 9111 says to treat as stale.
func seconds(s string) int64 {
	if s == "" {
		return 0
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxSeconds {
		return maxSeconds
	}
	return n
}
