package forward

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// countingConn counts the writes to a connection: system calls.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestBodyGoesWithHeaders: a Body reaches the backend in one write with
// the request's headers; any other body (a stream) costs two, as net/http
// flushes the headers first.
func TestBodyGoesWithHeaders(t *testing.T) {
	const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}`
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		if string(got) != body {
			t.Errorf("backend got %q", got)
		}
	}))
	defer backend.Close()
	var writes atomic.Int64
	dialer := &net.Dialer{}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		return countingConn{Conn: c, writes: &writes}, err
	}}
	defer transport.CloseIdleConnections()
	u, _ := url.Parse(backend.URL + "/mcp")
	f, err := New(Options{Backend: u, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		body       io.ReadCloser
		wantWrites int64
	}{
		{name: "read whole", body: NewBody([]byte(body)), wantWrites: 1},
		{name: "a stream", body: io.NopCloser(io.MultiReader(strings.NewReader(body))), wantWrites: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://mcpgate.example/mcp", nil)
			r.Body, r.ContentLength = tt.body, int64(len(body))
			before := writes.Load()
			w := httptest.NewRecorder()
			f.Forward(w, r, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if got := writes.Load() - before; got != tt.wantWrites {
				t.Errorf("the request took %d writes to the backend, want %d", got, tt.wantWrites)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{name: "number", body: `{"jsonrpc":"2.0","id":7,"method":"tools/call"}`, want: "7"},
		{name: "string", body: `{"jsonrpc":"2.0","id":"a-1","method":"ping"}`, want: `"a-1"`},
		{name: "negative", body: `{"jsonrpc":"2.0","id":-3,"method":"ping"}`, want: "-3"},
		{name: "batch", body: `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`},
		{name: "notification", body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`},
		{name: "null id", body: `{"jsonrpc":"2.0","id":null,"method":"ping"}`},
		{name: "object id", body: `{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}`},
		{name: "a response, not a request", body: `{"jsonrpc":"2.0","id":4,"result":{}}`},
		{name: "not JSON", body: `{"id":7,`},
		{name: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(NewBody([]byte(tt.body)).requestID()); got != tt.want {
				t.Errorf("requestID = %q, want %q", got, tt.want)
			}
		})
	}
}
