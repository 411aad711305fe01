package benchmark

import (
	"slices"
	"time"
)

// Summary is throughput and the latency distribution of one round, or the
// median of several.
type Summary struct {
	RPS  float64 `json:"rps"`
	P50  float64 `json:"p50_us"`
	P90  float64 `json:"p90_us"`
	P99  float64 `json:"p99_us"`
	P999 float64 `json:"p999_us"`
}

// summarize computes rps and percentiles (µs) from sorted latencies (ns).
func summarize(sorted []int64, elapsed time.Duration) Summary {
	if len(sorted) == 0 || elapsed <= 0 {
		return Summary{}
	}
	return Summary{
		RPS:  float64(len(sorted)) / elapsed.Seconds(),
		P50:  percentile(sorted, 0.50),
		P90:  percentile(sorted, 0.90),
		P99:  percentile(sorted, 0.99),
		P999: percentile(sorted, 0.999),
	}
}

// percentile is the nearest-rank percentile in µs: the smallest sample
// with at least p of the samples at or below it.
func percentile(sorted []int64, p float64) float64 {
	i := int(p*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / 1e3
}

// Median is the median of xs (the mean of the middle two for an even
// count); rounds are few, so a median resists the odd disturbed one.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MedianSummary is the field-by-field median of rounds.
func MedianSummary(rounds []Summary) Summary {
	pick := func(f func(Summary) float64) float64 {
		xs := make([]float64, len(rounds))
		for i, r := range rounds {
			xs[i] = f(r)
		}
		return Median(xs)
	}
	return Summary{
		RPS:  pick(func(s Summary) float64 { return s.RPS }),
		P50:  pick(func(s Summary) float64 { return s.P50 }),
		P90:  pick(func(s Summary) float64 { return s.P90 }),
		P99:  pick(func(s Summary) float64 { return s.P99 }),
		P999: pick(func(s Summary) float64 { return s.P999 }),
	}
}
