package policy

import (
	"testing"

	"github.com/mcpgate/mcpgate/proxy/principal"
)

var benchWho = &principal.Principal{Subject: "a", Groups: []string{"eng"}, Scopes: []string{"mcp"}, ClientID: "c"}

// BenchmarkDecide1000Rules is the per-call cost at /mcp: the view is built
// once per token and cached with it.
func BenchmarkDecide1000Rules(b *testing.B) {
	v := New(Config{Rules: SyntheticRules(1000)}).For(benchWho)
	for _, call := range []string{"echo", "ns_500_x", "ns_500_secret", "unknown"} {
		b.Run(call, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = v.Decide(Tool, call)
			}
		})
	}
}

// BenchmarkView1000Rules is the cost paid once per new token (or after a
// reload): which of the rules apply to the principal.
func BenchmarkView1000Rules(b *testing.B) {
	p := New(Config{Rules: SyntheticRules(1000)})
	b.ReportAllocs()
	for b.Loop() {
		_ = p.For(benchWho)
	}
}

func TestSyntheticRules(t *testing.T) {
	v := New(Config{Rules: SyntheticRules(1000)}).For(benchWho)
	for call, want := range map[string]bool{"echo": true, "tool_7": true, "ns_500_x": true, "ns_500_secret": false, "unknown": false} {
		if got := v.Decide(Tool, call).Allowed; got != want {
			t.Errorf("%s: got allowed %v, want %v", call, got, want)
		}
	}
}
