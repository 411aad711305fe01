package metrics

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// servedFamilies touches every family once and returns, from the
// exposition, each series name with the labels it carries (histograms as
// their _bucket, _sum and _count series).
func servedFamilies(t *testing.T) map[string]map[string]bool {
	t.Helper()
	m := New()
	m.HTTPRequest("/token", 200)
	m.MCPRequest("", "tools/call", Forwarded)
	m.Added(0)
	m.Backend("", 0)
	m.SignIn(true, "")
	m.Token("refresh_token", "issued")
	m.PolicyDenial("", "tool")
	m.Store("GetClient", 0, "ok")
	m.Replay("code")
	m.StreamOpened()
	m.StdioProcesses("local", func() int { return 1 })
	m.idpRequests.WithLabelValues("default", "2xx").Inc()
	m.idpSeconds.WithLabelValues("default").Observe(0)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))

	series := regexp.MustCompile(`^(mcpgate_[a-z_]+)(?:\{([^}]*)\})? `)
	label := regexp.MustCompile(`([a-z_]+)="`)
	out := map[string]map[string]bool{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		s := series.FindStringSubmatch(line)
		if s == nil {
			continue
		}
		if out[s[1]] == nil {
			out[s[1]] = map[string]bool{}
		}
		for _, l := range label.FindAllStringSubmatch(s[2], -1) {
			out[s[1]][l[1]] = true
		}
	}
	return out
}

var (
	metricName = regexp.MustCompile(`\bmcpgate_[a-z_]+`)
	groupedBy  = regexp.MustCompile(`\bby\s*\(([^)]*)\)`)
	matcher    = regexp.MustCompile(`(mcpgate_[a-z_]+)\{([^}]*)\}`)
	matcherKey = regexp.MustCompile(`([a-z_]+)\s*(?:=~|!~|!=|=)`)
)

// targetLabels are added by Prometheus when it scrapes, not by mcpgate.
var targetLabels = map[string]bool{"job": true, "instance": true, "le": true}

// queryProblems says what is wrong with a PromQL expression, as far as
// that can be told without a Prometheus: unbalanced brackets, an mcpgate_
// series mcpgate does not serve, a label it matches or groups by that
// those series do not carry. A renamed metric or label then fails a test,
// not silently on a dashboard or in an alert.
func queryProblems(expr string, served map[string]map[string]bool) []string {
	var out []string
	if strings.Count(expr, "(") != strings.Count(expr, ")") || strings.Count(expr, "{") != strings.Count(expr, "}") {
		out = append(out, "unbalanced brackets")
	}
	names := metricName.FindAllString(expr, -1)
	if len(names) == 0 {
		out = append(out, "names no mcpgate metric")
	}
	carried := map[string]bool{}
	for _, n := range names {
		labels, ok := served[n]
		if !ok {
			out = append(out, "names "+n+", which mcpgate does not serve")
		}
		for l := range labels {
			carried[l] = true
		}
	}
	for _, m := range matcher.FindAllStringSubmatch(expr, -1) {
		for _, k := range matcherKey.FindAllStringSubmatch(m[2], -1) {
			if !served[m[1]][k[1]] && !targetLabels[k[1]] {
				out = append(out, "matches label "+k[1]+", which "+m[1]+" does not carry")
			}
		}
	}
	for _, g := range groupedBy.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !carried[l] && !targetLabels[l] {
				out = append(out, "groups by "+l+", which none of "+strings.Join(names, ", ")+" carries")
			}
		}
	}
	return out
}

func checkQuery(t *testing.T, where, expr string, served map[string]map[string]bool) {
	t.Helper()
	for _, p := range queryProblems(expr, served) {
		t.Errorf("%s: %s (%q)", where, p, expr)
	}
}

func TestQueryProblems(t *testing.T) {
	served := servedFamilies(t)
	tests := []struct {
		name string
		expr string
		want string // "" for none
	}{
		{name: "good", expr: `sum by (backend, method) (rate(mcpgate_mcp_requests_total{job="x",outcome="denied"}[5m]))`},
		{name: "histogram bucket", expr: `histogram_quantile(0.99, sum by (le, op) (rate(mcpgate_store_operation_seconds_bucket[5m])))`},
		{name: "renamed metric", expr: `rate(mcpgate_mcp_request_total[5m])`, want: "does not serve"},
		{name: "label it lacks", expr: `rate(mcpgate_signins_total{grant_type="x"}[5m])`, want: "matches label grant_type"},
		{name: "grouping by a label it lacks", expr: `sum by (user) (rate(mcpgate_signins_total[5m]))`, want: "groups by user"},
		{name: "unbalanced", expr: `sum(rate(mcpgate_signins_total[5m])`, want: "unbalanced"},
		{name: "no mcpgate metric", expr: `up`, want: "names no mcpgate metric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(queryProblems(tt.expr, served), "; ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
