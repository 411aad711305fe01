// Package metrics is mcpgate's Prometheus instrumentation: the metric
// families, with small label sets (never a user, a client id or a tool
// argument), and the handler of the separate metrics listener.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are one mcpgate's metric families. A nil *Metrics records
// nothing, so that code under test needs none.
type Metrics struct {
	registry *prometheus.Registry

	httpRequests   *prometheus.CounterVec
	mcpRequests    *prometheus.CounterVec
	addedSeconds   prometheus.Histogram
	backendSeconds *prometheus.HistogramVec
	sseStreams     prometheus.Gauge
	signIns        *prometheus.CounterVec
	tokens         *prometheus.CounterVec
	policyDenials  *prometheus.CounterVec
	storeSeconds   *prometheus.HistogramVec
	storeOps       *prometheus.CounterVec
	idpSeconds     *prometheus.HistogramVec
	idpRequests    *prometheus.CounterVec
	replays        *prometheus.CounterVec

	// The series of the hot path, bound once: WithLabelValues hashes and
	// validates its labels on every call, which showed in the forwarding
	// profile. Every label comes from a small closed set, so these stay
	// small.
	mcpSeries     sync.Map // mcpKey → prometheus.Counter
	backendSeries sync.Map // backend label → prometheus.Observer
}

type mcpKey struct{ backend, method, outcome string }

// New registers the families, and the Go runtime's and the process's.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcpgate_http_requests_total",
			Help: "HTTP requests to mcpgate's own endpoints (not the MCP endpoint), by route and status."}, []string{"route", "status"}),
		mcpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcpgate_mcp_requests_total",
			Help: "Requests to MCP endpoints, by backend, JSON-RPC method (of the first message, when mcpgate read it) and outcome."},
			[]string{"backend", "method", "outcome"}),
		addedSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "mcpgate_mcp_added_seconds",
			Help:    "Time mcpgate spends on an MCP request before handing it to the backend.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1}}),
		backendSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mcpgate_backend_seconds",
			Help:    "Duration of forwarded MCP POST exchanges with the backend, streamed answers included.",
			Buckets: prometheus.DefBuckets}, []string{"backend"}),
		sseStreams: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mcpgate_sse_streams",
			Help: "MCP GET streams open now."}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcpgate_signins_total",
			Help: "Sign-ins the IdP vouched for, by outcome (allowed, refused) and the refusal's reason."}, []string{"outcome", "reason"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcpgate_token_requests_total",
			Help: "Token endpoint answers, by grant type and outcome (issued, or the OAuth error code)."}, []string{"grant_type", "outcome"}),
		policyDenials: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcpgate_policy_denials_total",
			Help: "JSON-RPC messages the policy refused, by backend and kind (tool, resource, prompt)."}, []string{"backend", "kind"}),
		storeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mcpgate_store_operation_seconds",
			Help:    "Duration of store operations, by operation.",
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}}, []string{"op"}),
		storeOps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcpgate_store_operations_total",
			Help: "Store operations, by operation and outcome (ok, not_found, conflict, unavailable, failed)."}, []string{"op", "outcome"}),
		idpSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mcpgate_upstream_request_seconds",
			Help: "Duration of requests to upstream IdPs, by IdP.", Buckets: prometheus.DefBuckets}, []string{"idp"}),
		idpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcpgate_upstream_requests_total",
			Help: "Requests to upstream IdPs, by IdP and outcome (the status class, or error)."}, []string{"idp", "outcome"}),
	}
	m.replays = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcpgate_token_replays_total",
		Help: "Replays detected and answered by revoking the grant: code (a code used twice), refresh_token (a rotated one reused)."}, []string{"kind"})
	r.MustRegister(m.storeSeconds, m.storeOps, m.idpSeconds, m.idpRequests, m.replays)
	r.MustRegister(m.httpRequests, m.mcpRequests, m.addedSeconds, m.backendSeconds, m.sseStreams, m.signIns, m.tokens, m.policyDenials,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Register adds another collector (a gauge read from elsewhere).
func (m *Metrics) Register(c prometheus.Collector) {
	if m != nil {
		m.registry.MustRegister(c)
	}
}

// StdioProcesses reports how many processes a stdio backend runs, read
// from processes at each scrape.
func (m *Metrics) StdioProcesses(backend string, processes func() int) {
	m.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mcpgate_stdio_processes",
		Help: "Processes of a stdio backend running now.", ConstLabels: prometheus.Labels{"backend": BackendLabel(backend)}},
		func() float64 { return float64(processes()) }))
}

// HTTPRequest counts a request to one of mcpgate's own endpoints.
func (m *Metrics) HTTPRequest(route string, status int) {
	if m == nil {
		return
	}
	if route == "" {
		route = "other"
	}
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
}

// The outcomes of an MCP request.
const (
	Forwarded    = "forwarded"
	Denied       = "denied"
	Unauthorized = "unauthorized"
	Refused      = "refused" // a body or header mcpgate would not read
)

// knownMethods keep the method label small: a client may send anything.
var knownMethods = map[string]bool{
	"initialize": true, "ping": true, "tools/list": true, "tools/call": true, "resources/list": true, "resources/read": true,
	"resources/templates/list": true, "resources/subscribe": true, "resources/unsubscribe": true, "prompts/list": true,
	"prompts/get": true, "completion/complete": true, "logging/setLevel": true, "notifications/initialized": true,
	"notifications/cancelled": true, "notifications/progress": true, "notifications/roots/list_changed": true,
}

// MCPRequest counts an MCP request; method is "" when mcpgate did not
// read the body.
func (m *Metrics) MCPRequest(backend, method, outcome string) {
	if m == nil {
		return
	}
	key := mcpKey{BackendLabel(backend), MethodLabel(method), outcome}
	if c, ok := m.mcpSeries.Load(key); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	c := m.mcpRequests.WithLabelValues(key.backend, key.method, key.outcome)
	m.mcpSeries.Store(key, c)
	c.Inc()
}

// MethodLabel is a JSON-RPC method as metrics and traces name it: the
// methods MCP defines by name, anything a client made up as "other", and
// a body not read as "unread".
func MethodLabel(method string) string {
	switch {
	case method == "":
		return "unread"
	case !knownMethods[method]:
		return "other"
	}
	return method
}

// BackendLabel names the default backend "default".
func BackendLabel(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

// Added records mcpgate's own time on a request.
func (m *Metrics) Added(d time.Duration) {
	if m != nil {
		m.addedSeconds.Observe(d.Seconds())
	}
}

// Backend records a forwarded exchange's duration.
func (m *Metrics) Backend(backend string, d time.Duration) {
	if m == nil {
		return
	}
	backend = BackendLabel(backend)
	if o, ok := m.backendSeries.Load(backend); ok {
		o.(prometheus.Observer).Observe(d.Seconds())
		return
	}
	o := m.backendSeconds.WithLabelValues(backend)
	m.backendSeries.Store(backend, o)
	o.Observe(d.Seconds())
}

// StreamOpened and StreamClosed track the open GET streams.
func (m *Metrics) StreamOpened() {
	if m != nil {
		m.sseStreams.Inc()
	}
}

func (m *Metrics) StreamClosed() {
	if m != nil {
		m.sseStreams.Dec()
	}
}

var signInReasons = map[string]bool{"no_email": true, "unverified_email": true, "email_not_allowed": true, "group_required": true, "idp_rule": true}

// SignIn counts a sign-in decision; reason is a refusal's code.
func (m *Metrics) SignIn(allowed bool, reason string) {
	if m == nil {
		return
	}
	outcome := "refused"
	if allowed {
		outcome, reason = "allowed", ""
	} else if !signInReasons[reason] {
		reason = "other"
	}
	m.signIns.WithLabelValues(outcome, reason).Inc()
}

var grantTypes = map[string]bool{"authorization_code": true, "refresh_token": true, "client_credentials": true}

// Token counts a token endpoint answer: outcome is "issued" or the OAuth
// error code.
func (m *Metrics) Token(grantType, outcome string) {
	if m == nil {
		return
	}
	if !grantTypes[grantType] {
		grantType = "other"
	}
	m.tokens.WithLabelValues(grantType, outcome).Inc()
}

// PolicyDenial counts a message the policy refused.
func (m *Metrics) PolicyDenial(backend, kind string) {
	if m == nil {
		return
	}
	if backend == "" {
		backend = "default"
	}
	m.policyDenials.WithLabelValues(backend, kind).Inc()
}

// Store observes a store operation (observed.Observer).
func (m *Metrics) Store(op string, d time.Duration, outcome string) {
	if m == nil {
		return
	}
	m.storeSeconds.WithLabelValues(op).Observe(d.Seconds())
	m.storeOps.WithLabelValues(op, outcome).Inc()
}

// Transport measures the requests base makes to the upstream IdP idp
// ("default" for the only one).
func (m *Metrics) Transport(idp string, base http.RoundTripper) http.RoundTripper {
	if m == nil {
		return base
	}
	if base == nil {
		base = http.DefaultTransport
	}
	if idp == "" {
		idp = "default"
	}
	return roundTripper{m: m, idp: idp, base: base}
}

type roundTripper struct {
	m    *Metrics
	idp  string
	base http.RoundTripper
}

func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(r)
	t.m.idpSeconds.WithLabelValues(t.idp).Observe(time.Since(start).Seconds())
	outcome := "error"
	if err == nil {
		outcome = strconv.Itoa(resp.StatusCode/100) + "xx"
	}
	t.m.idpRequests.WithLabelValues(t.idp, outcome).Inc()
	return resp, err
}

// Replay counts a replay detected (authserver.Deps.Replay).
func (m *Metrics) Replay(kind string) {
	if m != nil {
		m.replays.WithLabelValues(kind).Inc()
	}
}
