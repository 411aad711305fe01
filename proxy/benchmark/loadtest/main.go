// Command loadtest sends the same MCP tools/call load to (a) the backend
// directly, (b) a bare httputil.ReverseProxy and (c) mcpgate with a valid
// token, in interleaved rounds (a, b, c, a, b, c, ...), and reports the
// median throughput and latency percentiles of each, and the per-round
// ratios c/b and differences c−b, which stay meaningful on a noisy machine
// where absolute numbers do not. With each server in its own process it
// also reports every process's CPU time and read/write system calls per
// request, the steadier measure of what each hop costs.
//
//	go run ./proxy/benchmark/loadtest                  # -c 1,16,64 -d 2s -rounds 9
//	go run ./proxy/benchmark/loadtest -backend static  # proxies' cost at its most visible
//
// To measure a hot-path change, build this command in the changed tree and
// pass it as -candidate: its mcpgate becomes a fourth target in the same
// interleaved rounds. -cpuprofile-dir profiles every server process.
//
// Every server listens on 127.0.0.1 and the load goes nowhere else. Each
// round is bounded by -d and -n, the whole run by -timeout; the server
// processes end with it. See docs/benchmarks.md.
package main

import (
	"context"
	"crypto/ecdsa"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/benchmark"
	"github.com/mcpgate/mcpgate/proxy/dpop"
)

type options struct {
	concurrency []int
	duration    time.Duration
	warmup      time.Duration
	rounds      int
	maxRequests int64
	backend     string
	servers     string
	jsonPath    string
	candidate   string
	profileDir  string
	timeout     time.Duration
	// mcpgateArgs configure the mcpgate target's policy and audit log
	// (never the candidate's, so that -candidate of this same binary is
	// mcpgate without them).
	mcpgateArgs []string
}

func main() {
	var (
		o          options
		conc       string
		role       string
		backendURL string
		profile    string
	)
	flag.StringVar(&conc, "c", "1,16,64", "concurrency levels (keep-alive connections), comma-separated")
	flag.DurationVar(&o.duration, "d", 2*time.Second, "duration of one round")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured round per target before each concurrency level")
	flag.IntVar(&o.rounds, "rounds", 9, "measured rounds per target and concurrency level")
	flag.Int64Var(&o.maxRequests, "n", 2_000_000, "maximum requests per round")
	flag.StringVar(&o.backend, "backend", benchmark.BackendSDK, "backend: sdk (go-sdk MCP server) or static (canned answer)")
	flag.StringVar(&o.servers, "servers", "process", "process: backend, bare proxy and mcpgate each in a child process; inproc: all in this process")
	flag.StringVar(&o.candidate, "candidate", "", "a loadtest binary built from a changed tree: its mcpgate is measured as a 4th target (needs -servers process)")
	flag.StringVar(&o.profileDir, "cpuprofile-dir", "", "write each server process's CPU profile to DIR/ROLE.pprof (needs -servers process)")
	flag.StringVar(&profile, "cpuprofile", "", "internal: CPU profile file of a child process")
	flag.StringVar(&o.jsonPath, "json", "", "also write the results as JSON to this file (- for stdout)")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "bound on the whole run")
	flag.StringVar(&role, "role", "", "internal: serve as a child process (backend, bare or mcpgate)")
	var policyRules int
	var auditPath string
	flag.IntVar(&policyRules, "policy-rules", 0, "give mcpgate this many policy rules, all applying to the caller (policy.SyntheticRules)")
	flag.StringVar(&auditPath, "audit", "", "give mcpgate an audit log at this path")
	var tokenKind string
	flag.StringVar(&tokenKind, "token", benchmark.TokenAccess, "call mcpgate with an OAuth access token (access), a personal access token (pat), or an access token bound to a DPoP key (dpop: every request to every target then carries a fresh proof)")
	flag.StringVar(&backendURL, "backend-url", "", "internal: the backend the bare and mcpgate roles forward to")
	streams := flag.Int("streams", 0, "instead of the load test: hold this many idle GET streams through each proxy and report its memory per stream")
	flag.Parse()
	if role == "mcpgate" || (role == "" && o.servers == "inproc") {
		if err := configureMCPGate(policyRules, auditPath); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(2)
		}
	}
	if policyRules > 0 {
		o.mcpgateArgs = append(o.mcpgateArgs, "-policy-rules", strconv.Itoa(policyRules))
	}
	if auditPath != "" {
		o.mcpgateArgs = append(o.mcpgateArgs, "-audit", auditPath)
	}
	o.mcpgateArgs = append(o.mcpgateArgs, "-token", tokenKind)
	if tokenKind != benchmark.TokenAccess && o.servers != "process" {
		fmt.Fprintln(os.Stderr, "loadtest: -token needs -servers process")
		os.Exit(2)
	}

	if role != "" {
		if err := serveRole(role, o.backend, backendURL, tokenKind, profile, o.timeout); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		return
	}
	if *streams > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
		defer cancel()
		if err := measureStreams(ctx, o, *streams); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		return
	}
	var err error
	if o.concurrency, err = parseInts(conc); err != nil || o.rounds < 1 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "loadtest: need -c like 1,16,64, -rounds >= 1 and -d > 0")
		os.Exit(2)
	}
	if o.servers == "inproc" && (o.candidate != "" || o.profileDir != "") {
		fmt.Fprintln(os.Stderr, "loadtest: -candidate and -cpuprofile-dir need -servers process")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	targets, procs, stop, err := startServers(o.servers, o.backend, o.candidate, o.profileDir, o.timeout+time.Minute, o.mcpgateArgs)
	if err != nil {
		return err
	}
	defer stop()
	rep := newReport(o, targets)
	for _, c := range o.concurrency {
		lvl, err := runLevel(ctx, o, targets, procs, c)
		if err != nil {
			return err
		}
		rep.Levels = append(rep.Levels, lvl)
		printLevel(os.Stdout, o, lvl)
	}
	printSummary(os.Stdout, rep)
	return writeJSON(o.jsonPath, rep)
}

// runLevel warms each target up, then runs the measured rounds, rotating
// through the targets so that every target sees the same slow drifts of a
// shared machine.
func runLevel(ctx context.Context, o options, targets []benchmark.Target, procs procSet, c int) (*level, error) {
	lvl := &level{Concurrency: c}
	keys, err := dpopKeys(targets)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		lvl.Names = append(lvl.Names, t.Name)
	}
	for _, t := range targets {
		if o.warmup > 0 {
			if _, err := benchmark.Run(ctx, t, benchmark.LoadOptions{Concurrency: c, Duration: o.warmup, MaxRequests: o.maxRequests, DPoP: keys[t.Name]}); err != nil {
				return nil, err
			}
		}
	}
	for i := 0; i < o.rounds; i++ {
		set := map[string]*round{}
		for _, t := range targets {
			before := procs.sample()
			r, err := benchmark.Run(ctx, t, benchmark.LoadOptions{Concurrency: c, Duration: o.duration, MaxRequests: o.maxRequests, DPoP: keys[t.Name]})
			if err != nil {
				return nil, err
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("run timed out (-timeout): %w", ctx.Err())
			}
			cpu, sys := perRequest(before, procs.sample(), r.Requests)
			set[t.Name] = &round{Round: r, CPU: cpu, Syscalls: sys}
		}
		lvl.Rounds = append(lvl.Rounds, set)
	}
	lvl.finish()
	return lvl, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad concurrency %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// dpopKeys are the DPoP keys to prove with, by target: a target whose
// token is bound uses its own; once any is, the others use the first
// such key too, so that every target's requests carry a proof and the
// load generator pays for one each time.
func dpopKeys(targets []benchmark.Target) (map[string]*ecdsa.PrivateKey, error) {
	keys := map[string]*ecdsa.PrivateKey{}
	var first *ecdsa.PrivateKey
	for _, t := range targets {
		if t.DPoPKey == "" {
			continue
		}
		ec, err := dpop.ParseKey(t.DPoPKey)
		if err != nil {
			return nil, fmt.Errorf("loadtest: %s's DPoP key: %w", t.Name, err)
		}
		keys[t.Name] = ec
		if first == nil {
			first = ec
		}
	}
	for _, t := range targets {
		if keys[t.Name] == nil && first != nil {
			keys[t.Name] = first
		}
	}
	return keys, nil
}
