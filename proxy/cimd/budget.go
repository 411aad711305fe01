package cimd

import "time"

// fetchBudget bounds outbound fetches: any request may name a new
// client_id, so without a bound a burst of requests becomes a burst of
// fetches at one host (amplification) or everywhere. It is guarded by
// Resolver.mu.
type fetchBudget struct {
	max, perHost, hostPerMinute, perMinute int

	running  int
	inflight map[string]int         // host → fetches running
	recent   map[string][]time.Time // host → fetch starts in the last minute; "" for all
}

// take reserves a fetch from host at now, or says which bound refused it.
func (b *fetchBudget) take(host string, now time.Time) (refused string) {
	cutoff := now.Add(-time.Minute)
	all, mine := b.prune("", cutoff), b.prune(host, cutoff)
	switch {
	case b.running >= b.max:
		return "too many documents are being fetched"
	case b.inflight[host] >= b.perHost:
		return "a document from this host is being fetched already"
	case mine >= b.hostPerMinute:
		return "too many documents were fetched from this host in the last minute"
	case all >= b.perMinute:
		return "too many documents were fetched in the last minute"
	}
	b.running++
	b.inflight[host]++
	b.recent[host] = append(b.recent[host], now)
	b.recent[""] = append(b.recent[""], now)
	return ""
}

// done releases a fetch take reserved.
func (b *fetchBudget) done(host string) {
	b.running--
	if b.inflight[host]--; b.inflight[host] <= 0 {
		delete(b.inflight, host)
	}
}

// prune drops starts before cutoff and returns how many are left.
func (b *fetchBudget) prune(host string, cutoff time.Time) int {
	ts := b.recent[host]
	i := 0
	for i < len(ts) && ts[i].Before(cutoff) {
		i++
	}
	if i == len(ts) {
		delete(b.recent, host)
		return 0
	}
	b.recent[host] = ts[i:]
	return len(ts) - i
}
