package e2e_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpgate/mcpgate/config"
)

// A caller's trace context, as a client or a proxy would send it.
const (
	callerTraceID    = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID     = "00f067aa0ba902b7"
	callerTraceparen = "00-" + callerTraceID + "-" + callerSpanID + "-01"
)

// tracedGateway is a gateway whose spans land in memory, in front of a
// backend that records what it is sent.
func tracedGateway(t *testing.T, mutate func(*config.Config)) (*gateway, *recordingBackend, *tracetest.InMemoryExporter) {
	t.Helper()
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{tracer: tp, mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL
		if mutate != nil {
			mutate(c)
		}
	}})
	return g, backend, exporter
}

// postMCPTraced is a tools/list carrying the caller's traceparent.
func (g *gateway) postMCPTraced(t *testing.T, accessToken string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Traceparent", callerTraceparen)
	req.Header.Set("Tracestate", "vendor=chosen-by-client")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("tools/list: %d %s", resp.StatusCode, body)
	}
}

// spanSet finds recorded spans by name and checks how they hang together.
type spanSet []tracetest.SpanStub

func (s spanSet) named(t *testing.T, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, sp := range s {
		if sp.Name == name {
			found = append(found, sp)
		}
	}
	if len(found) != 1 {
		t.Fatalf("spans named %q: got %d, want 1; recorded: %v", name, len(found), s.names())
	}
	return found[0]
}

func (s spanSet) names() []string {
	var out []string
	for _, sp := range s {
		out = append(out, sp.Name)
	}
	return out
}

// childrenOf are the names of the spans whose parent is p.
func (s spanSet) childrenOf(p tracetest.SpanStub) []string {
	var out []string
	for _, sp := range s {
		if sp.Parent.SpanID() == p.SpanContext.SpanID() && sp.SpanContext.TraceID() == p.SpanContext.TraceID() {
			out = append(out, sp.Name)
		}
	}
	return out
}

// wantChild is the span named child whose parent is parent.
func wantChild(t *testing.T, s spanSet, parent tracetest.SpanStub, child string) tracetest.SpanStub {
	t.Helper()
	for _, sp := range s {
		if sp.Name == child && sp.Parent.SpanID() == parent.SpanContext.SpanID() && sp.SpanContext.TraceID() == parent.SpanContext.TraceID() {
			return sp
		}
	}
	t.Errorf("no span %q under %q (%s in trace %s), which has children %v", child,
		parent.Name, parent.SpanContext.SpanID(), parent.SpanContext.TraceID(), s.childrenOf(parent))
	return tracetest.SpanStub{}
}

func hasChildWithPrefix(s spanSet, parent tracetest.SpanStub, prefix string) bool {
	for _, name := range s.childrenOf(parent) {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// TestTracing: a sign-in, a token exchange, a refresh and a forwarded call
// each make a trace whose spans hang from the request's server span, the
// backend receives the forwarding span's context in place of the client's,
// and no span names the user.
func TestTracing(t *testing.T) {
	g, backend, exporter := tracedGateway(t, nil)
	c := g.registerPublic(t)
	code := g.code(t, c)
	tokens := g.exchange(t, c, code)
	tokens = g.refresh(t, c, tokens.RefreshToken)
	if tokens.AccessToken == "" {
		t.Fatalf("refresh: %d %s", tokens.Status, tokens.Error)
	}
	exporter.Reset() // the sign-in's spans are checked below from their own run
	g.postMCPTraced(t, tokens.AccessToken)
	forwarded := spanSet(exporter.GetSpans())

	t.Run("forwarding", func(t *testing.T) {
		server := forwarded.named(t, "POST /mcp")
		if server.SpanKind != trace.SpanKindServer {
			t.Errorf("POST /mcp: kind %v, want server", server.SpanKind)
		}
		if server.SpanContext.TraceID().String() == callerTraceID || server.Parent.IsValid() {
			t.Errorf("POST /mcp continued the trace of a client that is not a trusted proxy (parent %v)", server.Parent)
		}
		fwd := wantChild(t, forwarded, server, "mcp.forward")
		if fwd.SpanKind != trace.SpanKindClient || !hasAttr(fwd.Attributes, "mcp.backend", "default") {
			t.Errorf("mcp.forward: kind %v, attributes %v", fwd.SpanKind, fwd.Attributes)
		}
		h := backend.last()
		want := "00-" + fwd.SpanContext.TraceID().String() + "-" + fwd.SpanContext.SpanID().String() + "-01"
		if got := h.Get("Traceparent"); got != want {
			t.Errorf("backend got traceparent %q, want the forwarding span's %q", got, want)
		}
		if got := h.Values("Tracestate"); len(got) != 0 {
			t.Errorf("backend got the client's tracestate %q", got)
		}
	})

	// A second sign-in, its spans alone.
	exporter.Reset()
	code = g.code(t, c)
	signIn := spanSet(exporter.GetSpans())
	exporter.Reset()
	g.exchange(t, c, code)
	exchanged := spanSet(exporter.GetSpans())

	t.Run("sign-in", func(t *testing.T) {
		server := signIn.named(t, "GET /oauth/callback")
		callback := wantChild(t, signIn, server, "signin.callback")
		exchange := wantChild(t, signIn, callback, "upstream.exchange")
		if !hasChildWithPrefix(signIn, exchange, "POST 127.0.0.1:") {
			t.Errorf("upstream.exchange has no span of the request to the IdP's token endpoint: children %v", signIn.childrenOf(exchange))
		}
		wantChild(t, signIn, callback, "signin.policy")
		issue := wantChild(t, signIn, callback, "signin.issue_code")
		wantChild(t, signIn, issue, "store.CreateAuthCode")
		wantChild(t, signIn, callback, "store.UpdateAuthRequest")
		authorize := signIn.named(t, "GET /authorize")
		if !hasChildWithPrefix(signIn, authorize, "store.") {
			t.Errorf("GET /authorize has no store span: children %v", signIn.childrenOf(authorize))
		}
	})

	t.Run("token", func(t *testing.T) {
		server := exchanged.named(t, "POST /token")
		grant := wantChild(t, exchanged, server, "token.authorization_code")
		if !hasChildWithPrefix(exchanged, grant, "store.") {
			t.Errorf("token.authorization_code has no store span: children %v", exchanged.childrenOf(grant))
		}
	})

	t.Run("no span names the user", func(t *testing.T) {
		for _, sp := range append(append(forwarded, signIn...), exchanged...) {
			for _, kv := range sp.Attributes {
				if v := kv.Value.String(); strings.Contains(v, g.IdP.Email) || strings.Contains(v, g.IdP.Subject) {
					t.Errorf("span %q attribute %s = %q names the user", sp.Name, kv.Key, v)
				}
			}
		}
	})
}

// TestTracingContinuesATrustedProxysTrace: behind a trusted proxy, the
// server span continues the proxy's trace, and the backend's traceparent
// is still mcpgate's forwarding span.
func TestTracingContinuesATrustedProxysTrace(t *testing.T) {
	g, backend, exporter := tracedGateway(t, func(c *config.Config) {
		c.TrustedProxies = []string{netip.MustParsePrefix("127.0.0.0/8").String()}
		// With rules, the policy reads the method, and the span names it.
		c.Policy.Rules = []config.Rule{{Name: "all", Allow: config.Permissions{Tools: []string{"*"}}}}
	})
	token := g.accessToken(t)
	exporter.Reset()
	g.postMCPTraced(t, token)
	spans := spanSet(exporter.GetSpans())
	server := spans.named(t, "POST /mcp")
	if server.SpanContext.TraceID().String() != callerTraceID || server.Parent.SpanID().String() != callerSpanID || !server.Parent.IsRemote() {
		t.Errorf("POST /mcp: trace %s parent %s, want the proxy's trace %s and span %s", server.SpanContext.TraceID(), server.Parent.SpanID(), callerTraceID, callerSpanID)
	}
	fwd := wantChild(t, spans, server, "mcp.forward")
	if !hasAttr(fwd.Attributes, "mcp.method.name", "tools/list") {
		t.Errorf("mcp.forward attributes %v, want mcp.method.name tools/list", fwd.Attributes)
	}
	if got, want := backend.last().Get("Traceparent"), "00-"+callerTraceID+"-"+fwd.SpanContext.SpanID().String()+"-01"; got != want {
		t.Errorf("backend got traceparent %q, want %q", got, want)
	}
}

func hasAttr(attrs []attribute.KeyValue, key, value string) bool {
	for _, kv := range attrs {
		if string(kv.Key) == key && kv.Value.String() == value {
			return true
		}
	}
	return false
}
