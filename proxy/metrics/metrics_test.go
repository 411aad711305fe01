package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The bound series must count exactly what WithLabelValues would.
func TestHotPathSeriesCountEveryCall(t *testing.T) {
	m := New()
	for range 3 {
		m.MCPRequest("", "tools/call", Forwarded)
		m.Backend("", time.Millisecond)
	}
	m.MCPRequest("crm", "made/up", Denied)
	cases := []struct {
		name                     string
		backend, method, outcome string
		want                     float64
	}{
		{name: "default backend, three calls", backend: "default", method: "tools/call", outcome: Forwarded, want: 3},
		{name: "named backend, method folded", backend: "crm", method: "other", outcome: Denied, want: 1},
		{name: "never seen", backend: "crm", method: "tools/call", outcome: Forwarded, want: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := testutil.ToFloat64(m.mcpRequests.WithLabelValues(tc.backend, tc.method, tc.outcome))
			if got != tc.want {
				t.Errorf("mcpgate_mcp_requests_total%v = %v, want %v", []string{tc.backend, tc.method, tc.outcome}, got, tc.want)
			}
		})
	}
	if n := testutil.CollectAndCount(m.backendSeconds); n != 1 {
		t.Errorf("backend_seconds series = %d, want 1", n)
	}
}

func BenchmarkMCPRequest(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.MCPRequest("", "tools/call", Forwarded)
		m.Backend("", time.Millisecond)
	}
}
