package benchmark

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSoakShort is the soak's short version for CI: 15 seconds of calls
// behind 50 policy rules and the audit log, refreshes and whole sign-ins,
// with no error and no growth past DefaultSoakBounds. The 30-minute run
// in docs/benchmarks.md is the same code: go run ./proxy/benchmark/soak.
func TestSoakShort(t *testing.T) {
	var rules []string
	for i := range 50 {
		rules = append(rules, `{"name":"r`+string(rune('a'+i%26))+string(rune('a'+i/26))+`","allow":{"tools":["echo","t`+string(rune('a'+i%26))+`*"]}}`)
	}
	t.Setenv("MCPGATE_POLICY_RULES", "["+strings.Join(rules, ",")+"]")
	t.Setenv("MCPGATE_AUDIT_PATH", filepath.Join(t.TempDir(), "audit.log"))
	t.Setenv("MCPGATE_TOKENS_ACCESS_TOKEN_TTL", "1m")
	t.Setenv("MCPGATE_LIMITS_AUTHORIZE_RATE_LIMIT", "0")
	rep, err := Soak(context.Background(), SoakOptions{
		Duration: 15 * time.Second, Warmup: 2 * time.Second, SampleEvery: 3 * time.Second,
		Forwarders: 4, RefreshEvery: 300 * time.Millisecond, SignInEvery: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls == 0 || rep.Refreshes < 10 || rep.SignIns < 5 || len(rep.Samples) < 4 {
		t.Fatalf("too little happened: %d calls, %d refreshes, %d sign-ins, %d samples", rep.Calls, rep.Refreshes, rep.SignIns, len(rep.Samples))
	}
	for _, p := range rep.Problems(DefaultSoakBounds) {
		t.Error(p)
	}
	t.Logf("%d calls, %d refreshes, %d sign-ins; goroutines %d -> %d (%d after), heap %.1f -> %.1f MiB, files %d -> %d (%d after)",
		rep.Calls, rep.Refreshes, rep.SignIns, rep.First().Goroutines, rep.Last().Goroutines, rep.After.Goroutines,
		mib(rep.First().HeapInuse), mib(rep.Last().HeapInuse), rep.First().OpenFiles, rep.Last().OpenFiles, rep.After.OpenFiles)
}
