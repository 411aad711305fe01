// Command soak holds a steady mix of forwarded calls (with 1,000 policy
// rules and the audit log on), refreshes and whole sign-ins against
// mcpgate for a stated time, sampling goroutines, heap, resident memory
// and open files, and fails if any grows past its bound or any request
// fails. docs/benchmarks.md has a 30-minute run:
//
//	go run ./proxy/benchmark/soak -d 30m
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mcpgate/mcpgate/proxy/benchmark"
)

func main() {
	o := benchmark.SoakOptions{Out: os.Stdout}
	flag.DurationVar(&o.Duration, "d", 5*time.Minute, "how long to hold the load, after the warm-up")
	flag.DurationVar(&o.Warmup, "warmup", 10*time.Second, "unmeasured start")
	flag.DurationVar(&o.SampleEvery, "sample", 30*time.Second, "time between samples")
	flag.IntVar(&o.Forwarders, "c", 8, "connections forwarding tools/call")
	flag.DurationVar(&o.RefreshEvery, "refresh", time.Second, "time between refreshes of the forwarders' grant")
	flag.DurationVar(&o.SignInEvery, "signin", time.Second, "time between whole sign-ins (each followed by a call and a revocation)")
	rules := flag.Int("policy-rules", 1000, "policy rules, all applying to the caller")
	flag.Parse()
	if err := configure(*rules); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	start := time.Now()
	rep, err := benchmark.Soak(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	secs := time.Since(start).Seconds() - o.Warmup.Seconds()
	first, last := rep.First(), rep.Last()
	fmt.Printf("\n%s of load: %d calls (%.0f/s), %d refreshes, %d sign-ins; %d errors\n",
		o.Duration, rep.Calls, float64(rep.Calls)/secs, rep.Refreshes, rep.SignIns, rep.Errors())
	fmt.Printf("under load, first and last sample: goroutines %d -> %d, heap %.1f -> %.1f MiB, rss %.1f -> %.1f MiB, open files %d -> %d\n",
		first.Goroutines, last.Goroutines, float64(first.HeapInuse)/(1<<20), float64(last.HeapInuse)/(1<<20),
		float64(first.RSS)/(1<<20), float64(last.RSS)/(1<<20), first.OpenFiles, last.OpenFiles)
	fmt.Printf("after the load: goroutines %d, heap %.1f MiB, rss %.1f MiB, open files %d\n",
		rep.After.Goroutines, float64(rep.After.HeapInuse)/(1<<20), float64(rep.After.RSS)/(1<<20), rep.After.OpenFiles)
	if problems := rep.Problems(benchmark.DefaultSoakBounds); len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("FAIL:", p)
		}
		os.Exit(1)
	}
	fmt.Println("within bounds")
}

// configure gives the in-process mcpgate its policy, an audit log,
// access tokens short enough that the revocations of the sign-ins expire
// during the run, and no limit on sign-ins from one address, through the
// variables benchmark.StartGateway reads.
func configure(rules int) error {
	b, err := benchmark.SyntheticRulesJSON(rules)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "mcpgate-soak")
	if err != nil {
		return err
	}
	for k, v := range map[string]string{
		"MCPGATE_POLICY_RULES":            b,
		"MCPGATE_AUDIT_PATH":              filepath.Join(dir, "audit.log"),
		"MCPGATE_TOKENS_ACCESS_TOKEN_TTL": "2m",
		// One sign-in a second from one address is the load asked for,
		// not an attack: the default 300 an hour would refuse most.
		"MCPGATE_LIMITS_AUTHORIZE_RATE_LIMIT": "0",
	} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}
