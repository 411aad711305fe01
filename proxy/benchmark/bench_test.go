package benchmark

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startTargets starts the three targets once for a test or benchmark.
func startTargets(tb testing.TB, backend string) *Servers {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ts, err := StartTargets(ctx, backend)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ts.Close)
	return ts
}

// TestTargetsAnswer keeps the harness honest in plain `go test`: each
// target answers a tools/call with the echo, through net/http and through
// the load generator's raw client.
func TestTargetsAnswer(t *testing.T) {
	for _, backend := range []string{BackendSDK, BackendStatic} {
		t.Run(backend, func(t *testing.T) { testTargets(t, backend) })
	}
}

func testTargets(t *testing.T, backend string) {
	ts := startTargets(t, backend)
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	for _, tg := range ts.List {
		t.Run(tg.Name, func(t *testing.T) {
			if err := call(client, tg); err != nil {
				t.Fatal(err)
			}
			r, err := Run(context.Background(), tg, LoadOptions{Concurrency: 2, Duration: 10 * time.Second, MaxRequests: 20})
			if err != nil {
				t.Fatal(err)
			}
			if r.Errors != 0 || r.Requests != 20 {
				t.Fatalf("load: %d ok, %d errors (first: %s)", r.Requests, r.Errors, r.FirstError)
			}
		})
	}
	// Without the token mcpgate must refuse, or (c) measures nothing.
	gw, _ := ts.ByName("mcpgate")
	gw.Token = ""
	if err := call(client, gw); err == nil {
		t.Fatal("mcpgate answered without a token")
	}
}

// call sends one tools/call with net/http and checks the answer.
func call(c *http.Client, tg Target) error {
	req, err := http.NewRequest(http.MethodPost, tg.URL, bytes.NewReader(CallBody))
	if err != nil {
		return err
	}
	SetCallHeaders(req.Header, tg.Token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return CheckAnswer(resp.StatusCode, body)
}

// BenchmarkForward sends tools/call through each target with net/http
// clients in parallel. Everything runs in this process, so allocs/op
// counts client, proxy and backend together: compare bare and mcpgate
// (benchstat) to see what mcpgate adds. Run with
//
//	go test -run '^$' -bench Forward -benchmem -count 6 ./proxy/benchmark/
func BenchmarkForward(b *testing.B) { benchmarkForward(b, BackendSDK) }

// BenchmarkForwardStatic is the same against a backend that costs almost
// nothing, where the proxies' own cost is the largest share.
func BenchmarkForwardStatic(b *testing.B) { benchmarkForward(b, BackendStatic) }

func benchmarkForward(b *testing.B, backend string) {
	ts := startTargets(b, backend)
	for _, tg := range ts.List {
		b.Run(tg.Name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{
				MaxIdleConnsPerHost: 256, DisableCompression: true,
			}}
			defer client.CloseIdleConnections()
			// 8 goroutines per core: enough requests in flight to keep
			// every stage busy on a 2-core machine.
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := call(client, tg); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestPersonalTokenTarget: mcpgate called with a personal access token,
// made on the account page, answers like with an access token.
func TestPersonalTokenTarget(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	backend, err := StartBackend(BackendStatic)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	gw, err := StartMCPGateWith(ctx, backend.List[0].URL, TokenPersonal)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	tg := gw.List[0]
	if !strings.HasPrefix(tg.Token, "mcpgate_pat_") {
		t.Fatalf("got token %.20q…, want a personal access token", tg.Token)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	if err := call(client, tg); err != nil {
		t.Fatal(err)
	}
}

// TestTwoGatewaysAtOnce: the load test runs mcpgate and a candidate at the
// same time; each must get its own ports (the metrics listener's
// included), or the second never answers.
func TestTwoGatewaysAtOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	backend, err := StartBackend(BackendStatic)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	for range 2 {
		gw, err := StartMCPGateWith(ctx, backend.List[0].URL, TokenAccess)
		if err != nil {
			t.Fatal(err)
		}
		defer gw.Close()
	}
}
