package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/proxy/dpop"
)

// LoadOptions shape one round of load.
type LoadOptions struct {
	// Concurrency is the number of keep-alive connections, each with one
	// request in flight at a time (closed loop).
	Concurrency int
	// Duration bounds the round in time...
	Duration time.Duration
	// ...and MaxRequests in count, whichever comes first.
	MaxRequests int64
	// DPoP, when set, puts a fresh DPoP proof by this key on every
	// request (RFC 9449), whatever the target: making it costs the load
	// generator the same for each target, and a target whose token is not
	// bound to it (or that has none) ignores it.
	DPoP *ecdsa.PrivateKey
}

// Round is the outcome of one round against one target.
type Round struct {
	Target      string        `json:"target"`
	Concurrency int           `json:"concurrency"`
	Requests    int64         `json:"requests"`
	Errors      int64         `json:"errors"`
	FirstError  string        `json:"first_error,omitempty"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	Summary
	// latencies are the successful requests' latencies, sorted.
	latencies []int64
}

// Run sends tools/call requests to target with opts.Concurrency
// connections until opts.Duration has passed or opts.MaxRequests were
// sent. Connections are opened before the clock starts, so dialing is not
// part of any latency.
func Run(ctx context.Context, target Target, opts LoadOptions) (*Round, error) {
	u, err := url.Parse(target.URL)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		// The load is only ever aimed at this machine.
		return nil, fmt.Errorf("benchmark: refusing non-loopback target %s", u.Host)
	}
	if opts.Concurrency <= 0 || opts.Duration <= 0 {
		return nil, errors.New("benchmark: concurrency and duration must be positive")
	}
	if opts.MaxRequests <= 0 {
		opts.MaxRequests = math.MaxInt64
	}
	raw := RawCall(u.Host, u.RequestURI(), target.Token)
	workers := make([]*worker, opts.Concurrency)
	for i := range workers {
		c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", u.Host)
		if err != nil {
			for _, w := range workers[:i] {
				w.conn.Close()
			}
			return nil, err
		}
		workers[i] = &worker{conn: c, br: bufio.NewReaderSize(c, 16<<10), addr: u.Host, raw: raw}
		if key := opts.DPoP; key != nil {
			workers[i].build = func() ([]byte, error) {
				proof, err := dpop.NewProof(key, jose.ES256, http.MethodPost, target.URL, target.Token, "", time.Now())
				if err != nil {
					return nil, err
				}
				return RawCallDPoP(u.Host, u.RequestURI(), target.Token, proof), nil
			}
		}
	}
	var (
		issued int64
		wg     sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(opts.Duration)
	for _, w := range workers {
		wg.Go(func() { w.loop(ctx, deadline, &issued, opts.MaxRequests) })
	}
	wg.Wait()
	r := &Round{Target: target.Name, Concurrency: opts.Concurrency, Elapsed: time.Since(start)}
	for _, w := range workers {
		w.conn.Close()
		r.Errors += w.errors
		if r.FirstError == "" && w.firstErr != nil {
			r.FirstError = w.firstErr.Error()
		}
		r.latencies = append(r.latencies, w.lat...)
	}
	slices.Sort(r.latencies)
	r.Requests = int64(len(r.latencies))
	r.Summary = summarize(r.latencies, r.Elapsed)
	return r, nil
}

// worker is one connection of the load, writing prebuilt request bytes
// and parsing just enough of each answer to check it.
type worker struct {
	conn net.Conn
	br   *bufio.Reader
	body bytes.Buffer
	addr string
	raw  []byte
	// build, when set, makes each request's bytes anew (a DPoP proof is
	// good for one request).
	build    func() ([]byte, error)
	lat      []int64
	errors   int64
	firstErr error
}

func (w *worker) loop(ctx context.Context, deadline time.Time, issued *int64, max int64) {
	w.lat = make([]int64, 0, 1<<14)
	// A hung target cannot hold the round past its end by much.
	w.conn.SetDeadline(deadline.Add(10 * time.Second))
	for ctx.Err() == nil && atomic.AddInt64(issued, 1) <= max {
		// The request's bytes are made before its clock starts: a DPoP
		// proof is the client's cost, not the target's.
		raw, err := w.request()
		if err != nil {
			w.errors++
			w.firstErr = err
			return
		}
		t0 := time.Now()
		if !t0.Before(deadline) {
			return
		}
		err = w.call(raw)
		d := time.Since(t0)
		if err == nil {
			w.lat = append(w.lat, int64(d))
			continue
		}
		w.errors++
		if w.firstErr == nil {
			w.firstErr = err
		}
		if !w.redial(deadline) {
			return
		}
	}
}

// request is the bytes of the next request.
func (w *worker) request() ([]byte, error) {
	if w.build == nil {
		return w.raw, nil
	}
	return w.build()
}

func (w *worker) call(raw []byte) error {
	if _, err := w.conn.Write(raw); err != nil {
		return err
	}
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil {
		return err
	}
	w.body.Reset()
	_, err = w.body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.Close {
		return errors.New("the target closed the keep-alive connection")
	}
	return CheckAnswer(resp.StatusCode, w.body.Bytes())
}

// redial replaces a connection after a failure: its stream may be out of
// step with the requests.
func (w *worker) redial(deadline time.Time) bool {
	w.conn.Close()
	c, err := net.DialTimeout("tcp", w.addr, 5*time.Second)
	if err != nil {
		return false
	}
	c.SetDeadline(deadline.Add(10 * time.Second))
	w.conn, w.br = c, bufio.NewReaderSize(c, 16<<10)
	return true
}
