package tracing

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Transport wraps base so that each request made under a recording span
// (discovery, JWKS, the token and userinfo endpoints of an IdP) gets a
// client span of its own. No trace context is sent: the IdP is another
// party, and mcpgate's trace ids are not its business. The span names the
// host and path, never the query or a header.
func Transport(base http.RoundTripper) http.RoundTripper { return transport{base} }

type transport struct{ base http.RoundTripper }

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	parent := trace.SpanFromContext(r.Context())
	if !parent.IsRecording() {
		return t.base.RoundTrip(r)
	}
	_, span := parent.TracerProvider().Tracer(scope).Start(r.Context(), r.Method+" "+r.URL.Host,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("server.address", r.URL.Host),
			attribute.String("url.path", r.URL.Path),
		))
	resp, err := t.base.RoundTrip(r)
	if resp != nil {
		span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	}
	End(span, err)
	return resp, err
}
