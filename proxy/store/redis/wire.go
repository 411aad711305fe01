package redis

import (
	"strconv"
	"time"
)

// Times are stored as Unix milliseconds, the precision every backend keeps
// (see storetest), as a pointer so that the zero time, which has no Unix
// millisecond of its own distinct from a real instant, is nil.

func toMillis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	// Truncate rounds down also before 1970, where UnixMilli alone would
	// round towards 1970; the other backends round down.
	ms := t.Truncate(time.Millisecond).UnixMilli()
	return &ms
}

func fromMillis(ms *int64) time.Time {
	if ms == nil {
		return time.Time{}
	}
	return time.UnixMilli(*ms).UTC()
}

// nowMillis is now cut to the millisecond, as stored times are, so that
// comparisons agree with the other backends within the millisecond of
// expiry.
func nowMillis(now time.Time) int64 {
	return now.Truncate(time.Millisecond).UnixMilli()
}

// live reports whether a record expiring at exp is still there at now.
// zeroLives says what a zero expiry means for the record's kind: "never"
// for clients, consents and signing keys; "already" for the short-lived
// kinds, so that a forgotten expiry fails closed.
func live(exp time.Time, zeroLives bool, now time.Time) bool {
	if exp.IsZero() {
		return zeroLives
	}
	return *toMillis(exp) >= nowMillis(now)
}

// score is a record's place in its kind's expiry index: its expiry in Unix
// ms, or the infinity that its zero expiry means.
func score(exp time.Time, zeroLives bool) string {
	switch {
	case !exp.IsZero():
		return strconv.FormatInt(*toMillis(exp), 10)
	case zeroLives:
		return "+inf"
	default:
		return "-inf"
	}
}
