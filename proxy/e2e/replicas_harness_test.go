package e2e_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mcpgate/mcpgate/proxy/demo"
)

// replicaSet is several `mcpgate serve` processes sharing one store behind
// a round-robin load balancer written for the test.
type replicaSet struct {
	t        *testing.T
	bin      string
	env      []string
	procs    []*process
	addrs    []string
	lb       *httptest.Server
	idp      *testIdP
	URL      string
	mu       sync.Mutex
	next     int
	down     map[int]bool
	servedBy []int
}

func startReplicas(t *testing.T, storeURL string, n int, extraEnv ...string) *replicaSet {
	t.Helper()
	rs := &replicaSet{t: t, bin: buildMcpgate(t), down: map[int]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rs.URL = "http://" + ln.Addr().String()
	rs.lb = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(rs.balance)}}
	rs.lb.Start()
	t.Cleanup(rs.lb.Close)

	backend := httptest.NewServer(demo.BackendHandler())
	t.Cleanup(backend.Close)
	rs.idp = startIdP(t, rs.URL+"/oauth/callback")
	rs.env = []string{
		"MCPGATE_PUBLIC_URL=" + rs.URL,
		"MCPGATE_STORE=" + storeURL,
		"MCPGATE_UPSTREAM_ISSUER=" + rs.idp.Issuer(),
		"MCPGATE_UPSTREAM_CLIENT_ID=" + rs.idp.ClientID,
		"MCPGATE_UPSTREAM_CLIENT_SECRET=" + upstreamClientSecret,
		"MCPGATE_BACKEND_URL=" + backend.URL + "/mcp",
		"MCPGATE_ENCRYPTION_KEY=" + strings.Repeat("e2e-shared-encryption-key-", 2),
		// Rotations reach every replica within a second, so the test can
		// watch one take effect.
		"MCPGATE_TOKENS_KEY_RELOAD_INTERVAL=1s",
		"MCPGATE_LOG_LEVEL=warn",
	}
	rs.env = append(rs.env, extraEnv...)
	for range n {
		addr := freeAddr(t)
		env := append(append([]string(nil), rs.env...), "MCPGATE_LISTEN="+addr)
		rs.procs = append(rs.procs, startProcess(t, rs.bin, env, "http://"+addr+"/.well-known/oauth-authorization-server", strings.TrimPrefix(rs.URL, "http://")))
		rs.addrs = append(rs.addrs, addr)
	}
	return rs
}

// balance sends each request to the next live replica in turn; a replica
// that refuses connections is marked down and the next one is tried.
func (rs *replicaSet) balance(w http.ResponseWriter, r *http.Request) {
	// Test requests are small; keeping the body lets a request refused by a
	// dead replica go to the next one whole.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	for range len(rs.addrs) {
		i, ok := rs.pick()
		if !ok {
			break
		}
		target, _ := url.Parse("http://" + rs.addrs[i])
		var dialFailed bool
		proxy := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.Out.Host = pr.In.Host // replicas see the public host
			},
			FlushInterval: -1,
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				var op *net.OpError
				if errors.As(err, &op) && op.Op == "dial" && errors.Is(err, syscall.ECONNREFUSED) {
					dialFailed = true
					return
				}
				w.WriteHeader(http.StatusBadGateway)
			},
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rs.record(i)
		proxy.ServeHTTP(w, r)
		if !dialFailed {
			return
		}
		rs.markDown(i)
	}
	w.WriteHeader(http.StatusServiceUnavailable)
}

func (rs *replicaSet) pick() (int, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for range len(rs.addrs) {
		i := rs.next % len(rs.addrs)
		rs.next++
		if !rs.down[i] {
			return i, true
		}
	}
	return 0, false
}

func (rs *replicaSet) record(i int) {
	rs.mu.Lock()
	rs.servedBy = append(rs.servedBy, i)
	rs.mu.Unlock()
}

func (rs *replicaSet) markDown(i int) {
	rs.mu.Lock()
	rs.down[i] = true
	rs.mu.Unlock()
}

// kill ends replica i with SIGKILL: no graceful shutdown, no flush.
func (rs *replicaSet) kill(i int) {
	rs.procs[i].kill()
	rs.markDown(i)
}

// log returns which replica served each request so far, and resets it.
func (rs *replicaSet) takeLog() []int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := rs.servedBy
	rs.servedBy = nil
	return out
}

func (rs *replicaSet) gateway() *gateway { return &gateway{URL: rs.URL, IdP: rs.idp} }
