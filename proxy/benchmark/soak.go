package benchmark

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SoakOptions shape a soak run: a steady mix, for Duration, of forwarded
// tools/call requests on Forwarders connections, a refresh of their grant
// every RefreshEvery, and a whole sign-in (authorize, consent, the IdP,
// callback, code), one call and a revocation every SignInEvery.
type SoakOptions struct {
	Duration, Warmup, SampleEvery time.Duration
	Forwarders                    int
	RefreshEvery, SignInEvery     time.Duration
	// Out receives a line per sample.
	Out io.Writer
}

// Sample is the process's state at one moment.
type Sample struct {
	At         time.Duration
	Goroutines int
	HeapInuse  uint64 // bytes, after a GC
	RSS        uint64 // bytes
	OpenFiles  int
	Requests   int64 // forwarded calls so far
}

// SoakReport is what a soak run measured. Everything runs in this process
// (backend, dev IdP, mcpgate, load), so the samples are the sum of all
// of it: the load's own goroutines and connections are constant, and any
// growth is a leak somewhere.
type SoakReport struct {
	// Samples are taken under load; After once the load has stopped and
	// its connections are closed.
	Samples                        []Sample
	After                          Sample
	Calls, Refreshes, SignIns      int64
	CallErrors, RefreshErrs, Other int64
	FirstError                     string
}

// First and Last are the samples after the warm-up and at the end.
func (r *SoakReport) First() Sample { return r.Samples[0] }
func (r *SoakReport) Last() Sample  { return r.Samples[len(r.Samples)-1] }

// Errors counts every failure of every kind.
func (r *SoakReport) Errors() int64 { return r.CallErrors + r.RefreshErrs + r.Other }

// Soak runs the mix against mcpgate in front of the static backend.
func Soak(ctx context.Context, o SoakOptions) (*SoakReport, error) {
	backend, err := StartBackend(BackendStatic)
	if err != nil {
		return nil, err
	}
	defer backend.Close()
	gw, err := StartGateway(ctx, backend.List[0].URL)
	if err != nil {
		return nil, err
	}
	defer gw.Close()
	clientID, err := gw.RegisterClient(ctx)
	if err != nil {
		return nil, err
	}
	grant, err := gw.SignIn(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var token atomic.Value
	token.Store(grant.Access)

	rep := &SoakReport{}
	var errMu sync.Mutex
	fail := func(counter *int64, err error) {
		atomic.AddInt64(counter, 1)
		errMu.Lock()
		if rep.FirstError == "" {
			rep.FirstError = err.Error()
		}
		errMu.Unlock()
	}
	runCtx, stop := context.WithTimeout(ctx, o.Warmup+o.Duration)
	defer stop()
	var wg sync.WaitGroup
	var calls atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Forwarders + 4}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	call := func(tok string) error {
		req, _ := http.NewRequestWithContext(runCtx, http.MethodPost, gw.MCPURL(), bytes.NewReader(CallBody))
		SetCallHeaders(req.Header, tok)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		return CheckAnswer(resp.StatusCode, body)
	}
	for range o.Forwarders {
		wg.Go(func() {
			for runCtx.Err() == nil {
				if err := call(token.Load().(string)); err != nil {
					if runCtx.Err() == nil {
						fail(&rep.CallErrors, fmt.Errorf("call: %w", err))
					}
					continue
				}
				calls.Add(1)
			}
		})
	}
	every := func(d time.Duration, f func()) {
		wg.Go(func() {
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
					f()
				}
			}
		})
	}
	every(o.RefreshEvery, func() {
		next, err := gw.Refresh(runCtx, grant)
		if err != nil {
			if runCtx.Err() == nil {
				fail(&rep.RefreshErrs, err)
			}
			return
		}
		grant = next // only this goroutine touches grant
		token.Store(next.Access)
		atomic.AddInt64(&rep.Refreshes, 1)
	})
	every(o.SignInEvery, func() {
		t, err := gw.SignIn(runCtx, clientID)
		if err == nil {
			err = call(t.Access)
		}
		if err == nil {
			err = gw.Revoke(runCtx, t)
		}
		if err != nil {
			if runCtx.Err() == nil {
				fail(&rep.Other, fmt.Errorf("sign-in, call, revoke: %w", err))
			}
			return
		}
		atomic.AddInt64(&rep.SignIns, 1)
	})

	start := time.Now()
	select {
	case <-runCtx.Done():
	case <-time.After(o.Warmup):
	}
	sampleT := time.NewTicker(o.SampleEvery)
	defer sampleT.Stop()
	take := func() {
		s := sample(time.Since(start)-o.Warmup, calls.Load())
		rep.Samples = append(rep.Samples, s)
		if o.Out != nil {
			fmt.Fprintf(o.Out, "%8s  goroutines %5d  heap %7.1f MiB  rss %7.1f MiB  files %4d  calls %d\n",
				s.At.Round(time.Second), s.Goroutines, mib(s.HeapInuse), mib(s.RSS), s.OpenFiles, s.Requests)
		}
	}
	take()
	for runCtx.Err() == nil {
		select {
		case <-runCtx.Done():
		case <-sampleT.C:
			if time.Until(start.Add(o.Warmup+o.Duration)) > o.SampleEvery/10 {
				take() // not one racing the load's end
			}
		}
	}
	wg.Wait()
	client.CloseIdleConnections()
	time.Sleep(time.Second) // the server side of the closed connections ends
	rep.After = sample(time.Since(start)-o.Warmup, calls.Load())
	rep.Calls = calls.Load()
	return rep, nil
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// sample reads the process's goroutines, heap (after a collection, so
// that garbage not yet collected is not taken for growth), resident size
// and open files.
func sample(at time.Duration, requests int64) Sample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := Sample{At: at, Goroutines: runtime.NumGoroutine(), HeapInuse: ms.HeapInuse, Requests: requests}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		s.OpenFiles = len(fds)
	}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				var kb uint64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
				s.RSS = kb << 10
			}
		}
	}
	return s
}

// SoakBounds are how much the process may grow between the first sample
// and the last.
type SoakBounds struct {
	Goroutines, OpenFiles int
	// HeapFactor and HeapSlack bound the last heap at first×factor+slack.
	HeapFactor float64
	HeapSlack  uint64
}

// DefaultSoakBounds allow for what a process legitimately gains while it
// runs (pools, caches filled, connections kept alive), not for growth
// with time.
var DefaultSoakBounds = SoakBounds{Goroutines: 20, OpenFiles: 20, HeapFactor: 1.5, HeapSlack: 16 << 20}

// Problems says what in the report exceeds b or failed.
func (r *SoakReport) Problems(b SoakBounds) []string {
	var out []string
	if n := r.Errors(); n > 0 {
		out = append(out, fmt.Sprintf("%d errors (calls %d, refreshes %d, sign-ins %d); first: %s", n, r.CallErrors, r.RefreshErrs, r.Other, r.FirstError))
	}
	first, last := r.First(), r.Last()
	if last.Goroutines > first.Goroutines+b.Goroutines {
		out = append(out, fmt.Sprintf("goroutines grew from %d to %d", first.Goroutines, last.Goroutines))
	}
	if last.OpenFiles > first.OpenFiles+b.OpenFiles {
		out = append(out, fmt.Sprintf("open files grew from %d to %d", first.OpenFiles, last.OpenFiles))
	}
	if float64(last.HeapInuse) > float64(first.HeapInuse)*b.HeapFactor+float64(b.HeapSlack) {
		out = append(out, fmt.Sprintf("heap grew from %.1f to %.1f MiB", mib(first.HeapInuse), mib(last.HeapInuse)))
	}
	// Once the load stops, what it held must be let go.
	if r.After.Goroutines > first.Goroutines || r.After.OpenFiles > first.OpenFiles {
		out = append(out, fmt.Sprintf("after the load: %d goroutines and %d open files, more than under it (%d, %d)",
			r.After.Goroutines, r.After.OpenFiles, first.Goroutines, first.OpenFiles))
	}
	return out
}
