// Package tracing is mcpgate's OpenTelemetry tracing: the server span of
// each request, child spans for the sign-in steps, token issuance, store
// calls, IdP requests and forwarding, and the W3C trace context handed to
// the backend.
//
// A nil *Tracer is tracing turned off, and costs a nil check. Code that
// has no Tracer at hand (the authorization server, the store decorator)
// uses Child and Record, which start a span only under a recording parent,
// so nothing is allocated when tracing is off or a trace is sampled out.
package tracing

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// scope names mcpgate's instrumentation to the SDK.
const scope = "github.com/mcpgate/mcpgate"

// Tracer starts mcpgate's spans; nil means tracing is off.
type Tracer struct {
	tracer trace.Tracer
	prop   propagation.TraceContext
}

// New returns a Tracer that records into tp, or nil for a nil tp.
func New(tp trace.TracerProvider) *Tracer {
	if tp == nil {
		return nil
	}
	return &Tracer{tracer: tp.Tracer(scope)}
}

// StartServer starts the server span of request r, named after its route.
// A caller's traceparent is continued only when continueCaller is true
// (the request came through a trusted proxy): anyone else could otherwise
// pick the trace ids and sampling of mcpgate's traces.
func (t *Tracer) StartServer(r *http.Request, route string, continueCaller bool) (context.Context, trace.Span) {
	ctx := r.Context()
	if continueCaller {
		ctx = t.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	return t.tracer.Start(ctx, r.Method+" "+route,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("http.route", route),
		))
}

// EndServer ends a server span with the answer's status. A 5xx is
// mcpgate's failure; a 4xx is the caller's, and no error of the span (as
// OpenTelemetry's HTTP conventions have it).
func EndServer(span trace.Span, status int) {
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// StartClient starts a client span under ctx's span.
func (t *Tracer) StartClient(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// Inject replaces any trace context in h with ctx's: a backend sees
// mcpgate's forwarding span as the caller, never a context the MCP client
// chose.
func (t *Tracer) Inject(ctx context.Context, h http.Header) {
	h.Del("Traceparent")
	h.Del("Tracestate")
	t.prop.Inject(ctx, propagation.HeaderCarrier(h))
}

// Child starts an internal span under ctx's span when that span is
// recording, and otherwise returns ctx and a span that does nothing.
func Child(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, noop.Span{}
	}
	return parent.TracerProvider().Tracer(scope).Start(ctx, name, trace.WithAttributes(attrs...))
}

// Recording says whether ctx's span records, that is whether Child and
// Record would make a span: callers check it before building a span's
// name or attributes.
func Recording(ctx context.Context) bool { return trace.SpanFromContext(ctx).IsRecording() }

// Record adds a finished span, begun at start and ending now, under ctx's
// span when that span is recording: the store decorator measures a call
// anyway, and recording it afterwards keeps the call itself untouched.
func Record(ctx context.Context, name string, start time.Time, err error, attrs ...attribute.KeyValue) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return
	}
	_, span := parent.TracerProvider().Tracer(scope).Start(ctx, name,
		trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	End(span, err)
}

// End ends span, marking it failed when err is not nil.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
