package tracing

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func recorder(t *testing.T) (*Tracer, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return New(tp), exp
}

func TestNilProviderIsOff(t *testing.T) {
	if New(nil) != nil {
		t.Fatal("New(nil) is not nil: tracing would be on")
	}
}

// TestChildAndRecordNeedARecordingParent: without a span, or under one
// sampled out, nothing is made.
func TestChildAndRecordNeedARecordingParent(t *testing.T) {
	tr, exp := recorder(t)
	ctx, span := Child(context.Background(), "orphan")
	if span.IsRecording() || ctx != context.Background() {
		t.Error("Child made a span without a parent")
	}
	span.End()
	Record(context.Background(), "orphan", time.Now(), nil)
	if got := exp.GetSpans(); len(got) != 0 {
		t.Fatalf("spans without a parent: %v", got)
	}

	ctx, parent := tr.StartClient(context.Background(), "parent")
	start := time.Now().Add(-time.Second)
	Record(ctx, "store.GetClient", start, errors.New("connection refused"))
	_, child := Child(ctx, "child")
	End(child, nil)
	parent.End()
	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("got %d spans, want 3", len(spans))
	}
	rec := spans[0]
	if rec.Name != "store.GetClient" || !rec.StartTime.Equal(start) || rec.Status.Code != codes.Error || rec.Parent.SpanID() != spans[2].SpanContext.SpanID() {
		t.Errorf("recorded span: %q start %v status %v parent %v", rec.Name, rec.StartTime, rec.Status, rec.Parent.SpanID())
	}
	if spans[1].Status.Code == codes.Error {
		t.Error("End marked a span without an error as failed")
	}
}

func TestEndServer(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   codes.Code
	}{
		{name: "ok", status: 200, want: codes.Unset},
		{name: "client error is not the span's", status: 401, want: codes.Unset},
		{name: "server error", status: 502, want: codes.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, exp := recorder(t)
			_, span := tr.StartServer(httptest.NewRequest(http.MethodPost, "/token", nil), "/token", false)
			EndServer(span, tt.status)
			got := exp.GetSpans()[0]
			if got.Name != "POST /token" || got.Status.Code != tt.want {
				t.Errorf("got %q status %v, want POST /token %v", got.Name, got.Status.Code, tt.want)
			}
		})
	}
}

// TestInjectReplacesTheCallersContext: the backend sees mcpgate's span,
// never the trace state a client chose.
func TestInjectReplacesTheCallersContext(t *testing.T) {
	tr, _ := recorder(t)
	ctx, span := tr.StartClient(context.Background(), "mcp.forward")
	defer span.End()
	h := http.Header{}
	h.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.Set("Tracestate", "evil=1")
	tr.Inject(ctx, h)
	want := "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-01"
	if got := h.Values("Traceparent"); len(got) != 1 || got[0] != want {
		t.Errorf("traceparent %v, want [%s]", got, want)
	}
	if got := h.Values("Tracestate"); len(got) != 0 {
		t.Errorf("tracestate %v kept", got)
	}
}

// TestStartServerTrustsOnlyWhenTold: an untrusted caller's traceparent
// starts no child of the caller's trace.
func TestStartServerTrustsOnlyWhenTold(t *testing.T) {
	tr, _ := recorder(t)
	for _, trusted := range []bool{false, true} {
		r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
		r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		_, span := tr.StartServer(r, "/mcp", trusted)
		continued := span.SpanContext().TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736"
		if continued != trusted {
			t.Errorf("trusted=%v: continued the caller's trace: %v", trusted, continued)
		}
		span.End()
	}
}

// TestTransport: a request under a recording span gets a client span that
// names host and path, not the query; no trace context goes to the IdP.
func TestTransport(t *testing.T) {
	var sent http.Header
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent = r.Header.Clone()
		w.WriteHeader(http.StatusTeapot)
	}))
	defer idp.Close()
	tr, exp := recorder(t)
	client := &http.Client{Transport: Transport(http.DefaultTransport)}

	req, _ := http.NewRequest(http.MethodGet, idp.URL+"/keys?secret=x", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(exp.GetSpans()) != 0 {
		t.Fatal("a span without a parent")
	}

	ctx, parent := tr.StartClient(context.Background(), "upstream.exchange")
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, idp.URL+"/keys?secret=x", nil)
	if resp, err = client.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	parent.End()
	if sent.Get("Traceparent") != "" {
		t.Errorf("the IdP got traceparent %q", sent.Get("Traceparent"))
	}
	span := exp.GetSpans()[0]
	for _, kv := range span.Attributes {
		if v := kv.Value.String(); kv.Key == "url.path" && v != "/keys" {
			t.Errorf("url.path %q", v)
		}
		if kv.Key == "http.response.status_code" && kv.Value.AsInt64() != http.StatusTeapot {
			t.Errorf("status %d", kv.Value.AsInt64())
		}
	}
	if span.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Error("the IdP request's span is not under the exchange")
	}
}
