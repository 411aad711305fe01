package cimd

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// testServer is a TLS document server that counts what reaches it. Its
// certificate (httptest's) is valid for 127.0.0.1, ::1, example.com and
// *.example.com.
type testServer struct {
	*httptest.Server
	conns    atomic.Int64 // TCP connections accepted
	requests atomic.Int64 // HTTP requests handled
}

func newTestServer(t *testing.T, h http.HandlerFunc) *testServer {
	t.Helper()
	ts := &testServer{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		h(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			ts.conns.Add(1)
		}
	}
	// Timeouts and refused fetches end in handshake errors the server
	// would print.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ts.Server = srv
	return ts
}

// port is the server's port as a string.
func (ts *testServer) port() string {
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	return port
}

// url returns the client_id for path on host, at the server's port.
func (ts *testServer) url(host, path string) string {
	return "https://" + host + ":" + ts.port() + path
}

// selfURL is the client_id a request was made for, which a well-behaved
// document repeats.
func selfURL(r *http.Request) string {
	return "https://" + r.Host + r.URL.RequestURI()
}

// serveJSON writes body with the JSON content type; "{{self}}" in body
// becomes the requested URL.
func serveJSON(w http.ResponseWriter, r *http.Request, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, strings.ReplaceAll(body, "{{self}}", selfURL(r)))
}

// validDoc is a complete document for the requested URL.
const validDoc = `{
	"client_id": "{{self}}",
	"client_name": "Example MCP Client",
	"client_uri": "https://app.example.com/",
	"logo_uri": "https://app.example.com/logo.png",
	"redirect_uris": ["https://app.example.com/callback", "http://127.0.0.1:33418/"],
	"grant_types": ["authorization_code", "refresh_token"],
	"response_types": ["code"],
	"token_endpoint_auth_method": "none"
}`

// docWith is a document for the requested URL with the given members
// after client_id.
func docWith(members string) string {
	return `{"client_id":"{{self}}",` + members + `}`
}

// fakeClock is a settable clock for the cache.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixedLookup answers every host with addrs and counts the lookups.
type fixedLookup struct {
	addrs []netip.Addr
	calls atomic.Int64
}

func (f *fixedLookup) lookup(_ context.Context, _ string) ([]netip.Addr, error) {
	f.calls.Add(1)
	return f.addrs, nil
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// testOptions trust the server's certificate, resolve every name to
// 127.0.0.1 and allow loopback, so that positive cases reach the server.
func testOptions(ts *testServer, clock *fakeClock) Options {
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return Options{
		HTTPTimeout:     2 * time.Second,
		RootCAs:         pool,
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Resolver:        (&fixedLookup{addrs: addrs("127.0.0.1")}).lookup,
		Now:             clock.Now,
		Logger:          slog.New(slog.DiscardHandler),
	}
}

func mustNew(t *testing.T, opts Options) *Resolver {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// countDials wraps r's dialer to count connection attempts to checked
// addresses, so a test can tell "refused before dialing" from "dialed".
func countDials(r *Resolver) *atomic.Int64 {
	var n atomic.Int64
	next := r.dialAddr
	r.dialAddr = func(ctx context.Context, network, address string) (net.Conn, error) {
		n.Add(1)
		return next(ctx, network, address)
	}
	return &n
}

// errKind names the kind of err for messages.
func errKind(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, ErrInvalidClient):
		return "ErrInvalidClient"
	case errors.Is(err, ErrFetchFailed):
		return "ErrFetchFailed"
	default:
		return "untyped error"
	}
}

// checkErr fails unless err is of kind want ("nil", "ErrInvalidClient",
// "ErrFetchFailed") and, when wantText is set, contains it.
func checkErr(t *testing.T, err error, want, wantText string) {
	t.Helper()
	if got := errKind(err); got != want {
		t.Fatalf("error = %v (%s), want %s", err, got, want)
	}
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *Error", err)
	}
	if wantText != "" && !strings.Contains(err.Error(), wantText) {
		t.Errorf("error = %q, want it to contain %q", err, wantText)
	}
}

func resolveOK(t *testing.T, r *Resolver, clientID string) store.Client {
	t.Helper()
	c, err := r.Resolve(context.Background(), clientID)
	if err != nil {
		t.Fatalf("Resolve(%q): got error %v, want none", clientID, err)
	}
	return c
}
