package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/benchmark"
)

// Targets of issue #3.
const (
	minThroughputRatio = 0.9    // mcpgate / bare
	maxAddedP99Micros  = 1000.0 // mcpgate − bare, p99
)

type report struct {
	Command  []string `json:"command"`
	Machine  machine  `json:"machine"`
	Backend  string   `json:"backend"`
	Servers  string   `json:"servers"`
	RoundDur string   `json:"round_duration"`
	Rounds   int      `json:"rounds"`
	Levels   []*level `json:"levels"`
}

type machine struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	Time       string `json:"time"`
}

func newReport(o options, targets []benchmark.Target) *report {
	return &report{
		Command: os.Args,
		Machine: machine{runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0),
			runtime.Version(), time.Now().UTC().Format(time.RFC3339)},
		Backend: o.backend, Servers: o.servers, RoundDur: o.duration.String(), Rounds: o.rounds,
	}
}

// level is every round at one concurrency, and what they add up to.
type level struct {
	Concurrency int                            `json:"concurrency"`
	Names       []string                       `json:"targets"`
	Rounds      []map[string]*round            `json:"rounds"`
	Median      map[string]benchmark.Summary   `json:"median"`
	CPU         map[string]map[string]float64  `json:"median_cpu_us_per_request"`
	Syscalls    map[string]map[string]float64  `json:"median_rw_syscalls_per_request"`
	Errors      map[string]int64               `json:"errors"`
	Ratios      map[string]ratio               `json:"ratios"`
	Added       map[string]map[string]addition `json:"added_latency_us"`
	// CPURatios is, per pair x/y, total CPU per request of y over x: the
	// throughput ratio to expect when CPU is the only limit.
	CPURatios map[string]ratio `json:"cpu_bound_throughput_ratios"`
}

// round is one target's round and the CPU each process spent on it.
type round struct {
	*benchmark.Round
	CPU      map[string]float64 `json:"cpu_us_per_request"`
	Syscalls map[string]float64 `json:"rw_syscalls_per_request"`
}

func (r *round) totalCPU() float64 {
	t := 0.0
	for _, v := range r.CPU {
		t += v
	}
	return t
}

// ratio is a throughput ratio: the median of the per-round ratios (each
// round's targets ran back to back, so they shared the machine's state),
// and the range, which shows the noise.
type ratio struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// addition is a latency difference in µs, same construction as ratio.
type addition = ratio

// pairs are the comparisons reported: what mcpgate costs over a bare
// proxy (the targets), over no proxy at all, what a bare proxy
// costs over no proxy, and a candidate build against the current one.
var pairs = [][2]string{{"mcpgate", "bare"}, {"mcpgate", "direct"}, {"bare", "direct"},
	{"candidate", "mcpgate"}, {"candidate", "bare"}}

func (l *level) finish() {
	l.Median, l.Errors = map[string]benchmark.Summary{}, map[string]int64{}
	l.CPU, l.Syscalls = map[string]map[string]float64{}, map[string]map[string]float64{}
	l.Ratios, l.Added, l.CPURatios = map[string]ratio{}, map[string]map[string]addition{}, map[string]ratio{}
	for _, name := range l.Names {
		var ss []benchmark.Summary
		cpu, sys := map[string][]float64{}, map[string][]float64{}
		for _, set := range l.Rounds {
			r := set[name]
			ss = append(ss, r.Summary)
			l.Errors[name] += r.Errors
			for proc, v := range r.CPU {
				cpu[proc] = append(cpu[proc], v)
				sys[proc] = append(sys[proc], r.Syscalls[proc])
			}
			cpu["total"] = append(cpu["total"], r.totalCPU())
		}
		l.Median[name] = benchmark.MedianSummary(ss)
		l.CPU[name], l.Syscalls[name] = medians(cpu), medians(sys)
	}
	for _, p := range pairs {
		if _, ok := l.Rounds[0][p[0]]; !ok {
			continue // no candidate in this run
		}
		key := p[0] + "/" + p[1]
		l.Ratios[key] = l.paired(p, func(x, y *round) float64 { return x.RPS / y.RPS })
		l.CPURatios[key] = l.paired(p, func(x, y *round) float64 { return y.totalCPU() / x.totalCPU() })
		l.Added[p[0]+"-"+p[1]] = map[string]addition{
			"p50": l.paired(p, func(x, y *round) float64 { return x.P50 - y.P50 }),
			"p99": l.paired(p, func(x, y *round) float64 { return x.P99 - y.P99 }),
		}
	}
}

func medians(m map[string][]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, xs := range m {
		out[k] = benchmark.Median(xs)
	}
	return out
}

func (l *level) paired(p [2]string, f func(x, y *round) float64) ratio {
	var xs []float64
	for _, set := range l.Rounds {
		xs = append(xs, f(set[p[0]], set[p[1]]))
	}
	return ratio{Median: benchmark.Median(xs), Min: slices.Min(xs), Max: slices.Max(xs)}
}

func printLevel(w io.Writer, o options, l *level) {
	fmt.Fprintf(w, "\nconcurrency %d: %d rounds of %s per target, interleaved; medians over rounds\n", l.Concurrency, o.rounds, o.duration)
	fmt.Fprintf(w, "%-9s %10s %9s %9s %9s %9s %7s\n", "target", "req/s", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "errors")
	for _, name := range l.Names {
		m := l.Median[name]
		fmt.Fprintf(w, "%-9s %10.0f %9.0f %9.0f %9.0f %9.0f %7d\n", name, m.RPS, m.P50, m.P90, m.P99, m.P999, l.Errors[name])
	}
	for _, p := range pairs {
		r, ok := l.Ratios[p[0]+"/"+p[1]]
		if !ok {
			continue
		}
		a := l.Added[p[0]+"-"+p[1]]
		fmt.Fprintf(w, "%-17s throughput %.3f [%.3f..%.3f]   added p50 %+6.0f µs [%+.0f..%+.0f]   added p99 %+6.0f µs [%+.0f..%+.0f]\n",
			p[0]+"/"+p[1], r.Median, r.Min, r.Max,
			a["p50"].Median, a["p50"].Min, a["p50"].Max, a["p99"].Median, a["p99"].Min, a["p99"].Max)
	}
	printCPU(w, l)
	if first := firstError(l); first != "" {
		fmt.Fprintf(w, "first error: %s\n", first)
	}
}

// printCPU shows where the CPU goes per request, by process.
func printCPU(w io.Writer, l *level) {
	procs := slices.Sorted(maps.Keys(l.CPU[l.Names[0]]))
	if len(procs) == 0 || l.CPU[l.Names[0]]["total"] == 0 {
		return // no /proc
	}
	table := func(title string, m map[string]map[string]float64, format string) {
		fmt.Fprintf(w, "%s:\n%-9s", title, "target")
		for _, p := range procs {
			if _, ok := m[l.Names[0]][p]; ok {
				fmt.Fprintf(w, " %9s", p)
			}
		}
		fmt.Fprintln(w)
		for _, name := range l.Names {
			fmt.Fprintf(w, "%-9s", name)
			for _, p := range procs {
				if v, ok := m[name][p]; ok {
					fmt.Fprintf(w, " "+format, v)
				}
			}
			fmt.Fprintln(w)
		}
	}
	table("CPU µs per request (median) by process", l.CPU, "%9.1f")
	table("read+write system calls per request (median) by process", l.Syscalls, "%9.2f")
	for _, p := range pairs {
		if r, ok := l.CPURatios[p[0]+"/"+p[1]]; ok {
			fmt.Fprintf(w, "%-17s CPU-bound throughput %.3f [%.3f..%.3f]\n", p[0]+"/"+p[1], r.Median, r.Min, r.Max)
		}
	}
}

func firstError(l *level) string {
	for _, set := range l.Rounds {
		for _, r := range set {
			if r.FirstError != "" {
				return r.Target + ": " + r.FirstError
			}
		}
	}
	return ""
}

// printSummary checks the targets. Throughput is judged at every
// level. Added latency is judged at the lowest level only (normally c=1):
// there a request meets no queue, so the difference is what each hop
// adds; at the higher levels the machine is saturated, every closed-loop
// latency is queueing (≈ connections / throughput), and its difference
// restates the throughput ratio with far more noise.
func printSummary(w io.Writer, rep *report) {
	fmt.Fprintf(w, "\ntargets (issue #3): mcpgate/bare throughput >= %.2f; mcpgate-bare p99 < %.0f µs at the lowest concurrency\n",
		minThroughputRatio, maxAddedP99Micros)
	lowest := rep.Levels[0]
	for _, l := range rep.Levels {
		if l.Concurrency < lowest.Concurrency {
			lowest = l
		}
	}
	for _, l := range rep.Levels {
		r, c := l.Ratios["mcpgate/bare"].Median, l.CPURatios["mcpgate/bare"].Median
		fmt.Fprintf(w, "  c=%-3d throughput %.3f (CPU-bound %.3f) %s", l.Concurrency, r, c, verdict(r >= minThroughputRatio))
		if l == lowest {
			a := l.Added["mcpgate-bare"]["p99"].Median
			fmt.Fprintf(w, "   added p99 %+.0f µs %s", a, verdict(a < maxAddedP99Micros))
		}
		fmt.Fprintln(w)
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func writeJSON(path string, rep *report) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
