package tracing

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestSetupTurnsOn(t *testing.T) {
	tests := []struct {
		name     string
		settings Settings
		env      func(string) string
		wantOn   bool
		wantErr  string
	}{
		{name: "nothing configured", env: envOf(), wantOn: false},
		{name: "endpoint in the configuration", settings: Settings{OTLPEndpoint: "http://127.0.0.1:1"}, env: envOf(), wantOn: true},
		{name: "standard endpoint variable", env: envOf("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"), wantOn: true},
		{name: "traces endpoint variable", env: envOf("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/v1/traces"), wantOn: true},
		{name: "SDK disabled", settings: Settings{OTLPEndpoint: "http://127.0.0.1:1"}, env: envOf("OTEL_SDK_DISABLED", "true"), wantOn: false},
		{name: "exporter none", settings: Settings{OTLPEndpoint: "http://127.0.0.1:1"}, env: envOf("OTEL_TRACES_EXPORTER", "none"), wantOn: false},
		{name: "exporter otlp", settings: Settings{OTLPEndpoint: "http://127.0.0.1:1"}, env: envOf("OTEL_TRACES_EXPORTER", "otlp"), wantOn: true},
		{name: "http/json", settings: Settings{OTLPEndpoint: "http://127.0.0.1:1"}, env: envOf("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"), wantOn: true},
		{name: "grpc is refused", settings: Settings{OTLPEndpoint: "http://127.0.0.1:1"}, env: envOf("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), wantErr: "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"},
		{name: "grpc for traces is refused", env: envOf("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"), wantErr: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc"},
		{name: "another exporter is refused", env: envOf("OTEL_TRACES_EXPORTER", "zipkin"), wantErr: "OTEL_TRACES_EXPORTER=zipkin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Setup(context.Background(), tt.settings, tt.env, discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p != nil; got != tt.wantOn {
				t.Fatalf("tracing on: got %v, want %v", got, tt.wantOn)
			}
			if p != nil {
				_ = p.Shutdown(context.Background())
			}
		})
	}
}

// collector is an OTLP/HTTP receiver that keeps what it is sent.
type collector struct {
	*httptest.Server
	mu       sync.Mutex
	paths    []string
	payloads []string
}

func startCollector(t *testing.T) *collector {
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.paths = append(c.paths, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		c.payloads = append(c.payloads, string(body))
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(c.Close)
	return c
}

// TestSetupExports: a span ends up at the collector's /v1/traces as OTLP
// protobuf, with mcpgate's service name and the span's name, once the
// provider is shut down (which flushes).
func TestSetupExports(t *testing.T) {
	col := startCollector(t)
	p, err := Setup(context.Background(), Settings{OTLPEndpoint: col.URL + "/", SampleRatio: 1, Version: "v9.9.9"}, envOf(), discard)
	if err != nil || p == nil {
		t.Fatalf("Setup: %v, %v", p, err)
	}
	tr := New(p)
	ctx, span := tr.StartClient(context.Background(), "mcp.forward")
	_, child := Child(ctx, "store.GetClient")
	child.End()
	span.End()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.paths) == 0 || col.paths[0] != "POST /v1/traces application/x-protobuf" {
		t.Fatalf("collector got %v, want a POST of protobuf to /v1/traces", col.paths)
	}
	all := strings.Join(col.payloads, "")
	for _, want := range []string{"mcpgate", "v9.9.9", "mcp.forward", "store.GetClient"} {
		if !strings.Contains(all, want) {
			t.Errorf("the export lacks %q", want)
		}
	}
}

// TestSetupSampling: a ratio of 0 records no new trace, but a sampled
// parent's decision is kept.
func TestSetupSampling(t *testing.T) {
	col := startCollector(t)
	p, err := Setup(context.Background(), Settings{OTLPEndpoint: col.URL, SampleRatio: 0}, envOf(), discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	tr := New(p)
	_, root := tr.StartClient(context.Background(), "root")
	if root.IsRecording() {
		t.Error("a new trace was recorded at sample ratio 0")
	}
	root.End()
	r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	_, server := tr.StartServer(r, "/mcp", true)
	if !server.IsRecording() {
		t.Error("a sampled parent's trace was not recorded")
	}
	server.End()
}
