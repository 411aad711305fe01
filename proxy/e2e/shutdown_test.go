package e2e_test

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"net/http/httptest"
)

// TestGracefulShutdown: SIGTERM while an MCP GET stream is open and a
// burst of slow tool calls is under way: every call accepted before the
// signal is answered, the stream ends cleanly (the body's end, not a cut
// connection), and the process exits well within shutdown_grace.
func TestGracefulShutdown(t *testing.T) {
	const grace = 10 * time.Second
	var received atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/event-stream")
			for i := 0; ; i++ {
				if _, err := io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\n"); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
		received.Add(1)
		time.Sleep(700 * time.Millisecond) // a slow tool
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(backend.Close)

	bin := buildMcpgate(t)
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	base := "http://" + addr
	idp := startIdP(t, base+"/oauth/callback")
	p := startProcess(t, bin, []string{
		"MCPGATE_PUBLIC_URL=" + base,
		"MCPGATE_LISTEN=" + addr,
		"MCPGATE_STORE=sqlite://" + filepath.Join(t.TempDir(), "mcpgate.db"),
		"MCPGATE_UPSTREAM_ISSUER=" + idp.Issuer(),
		"MCPGATE_UPSTREAM_CLIENT_ID=" + idp.ClientID,
		"MCPGATE_UPSTREAM_CLIENT_SECRET=" + upstreamClientSecret,
		"MCPGATE_BACKEND_URL=" + backend.URL + "/mcp",
		"MCPGATE_SHUTDOWN_GRACE=" + grace.String(),
		"MCPGATE_METRICS_LISTEN=" + metricsAddr,
	}, base+"/healthz", "")
	g := &gateway{URL: base, IdP: idp}
	token := g.accessToken(t)

	stream, err := http.NewRequest(http.MethodGet, base+"/mcp", nil)
	if err != nil {
		t.Fatal(err)
	}
	stream.Header.Set("Authorization", "Bearer "+token)
	stream.Header.Set("Accept", "text/event-stream")
	sresp, err := http.DefaultClient.Do(stream)
	if err != nil || sresp.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: %v %v", err, sresp)
	}
	events := bufio.NewReader(sresp.Body)
	if line, err := events.ReadString('\n'); err != nil || !strings.HasPrefix(line, "event:") {
		t.Fatalf("first event: %q %v", line, err)
	}

	const burst = 20
	var wg sync.WaitGroup
	statuses := make([]int, burst)
	errs := make([]error, burst)
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{}}}`))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			readBody(t, resp)
			statuses[i] = resp.StatusCode
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for received.Load() < burst && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if received.Load() < burst {
		t.Fatalf("only %d of %d calls reached the backend", received.Load(), burst)
	}

	// The metrics on their own listener, not on the public one.
	if resp, err := http.Get("http://" + metricsAddr + "/metrics"); err != nil {
		t.Errorf("metrics listener: %v", err)
	} else if body := readBody(t, resp); !strings.Contains(body, "mcpgate_sse_streams 1") {
		t.Errorf("metrics during the stream: %d, want mcpgate_sse_streams 1", resp.StatusCode)
	}
	if resp, err := http.Get(base + "/metrics"); err == nil && readBody(t, resp) != "" && resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the public listener: %d, want 404", resp.StatusCode)
	}

	signalled := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The stream ends as a body ends.
	rest, err := io.ReadAll(events)
	streamEnded := time.Since(signalled)
	if err != nil {
		t.Errorf("the GET stream after SIGTERM: %v after %v, want a clean end", err, streamEnded)
	}
	if !strings.HasSuffix(string(rest), "\n\n") && len(rest) > 0 {
		t.Errorf("the stream ended mid-event: %q", rest[max(0, len(rest)-40):])
	}
	wg.Wait()
	for i := range burst {
		if errs[i] != nil || statuses[i] != http.StatusOK {
			t.Errorf("call %d accepted before SIGTERM: %d %v", i, statuses[i], errs[i])
		}
	}
	select {
	case <-p.exited:
	case <-time.After(grace):
		t.Fatalf("mcpgate still running %v after SIGTERM", grace)
	}
	exited := time.Since(signalled)
	if _, err := http.Get(base + "/healthz"); err == nil || !errors.Is(err, syscall.ECONNREFUSED) && !strings.Contains(err.Error(), "refused") {
		t.Errorf("a connection after the stop: %v, want refused", err)
	}
	t.Logf("SIGTERM: the stream ended after %v, %d calls answered, the process exited after %v (grace %v)",
		streamEnded.Round(time.Millisecond), burst, exited.Round(time.Millisecond), grace)
}
