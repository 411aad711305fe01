package metrics

import (
	"bytes"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestAlertRules parses deploy/prometheus/alerts.yaml strictly and checks
// that every mcpgate_ metric its expressions name is one mcpgate serves
// (with its histogram suffixes), so that a renamed metric fails here, not
// silently in someone's Prometheus.
func TestAlertRules(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}

	m := New()
	// Touch every family once so that the exposition lists it.
	m.HTTPRequest("/token", 200)
	m.MCPRequest("", "tools/call", Forwarded)
	m.Added(0)
	m.Backend("", 0)
	m.SignIn(true, "")
	m.Token("refresh_token", "issued")
	m.PolicyDenial("", "tool")
	m.Store("GetClient", 0, "ok")
	m.Replay("code")
	m.idpRequests.WithLabelValues("default", "2xx").Inc()
	m.idpSeconds.WithLabelValues("default").Observe(0)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	served := rec.Body.String()

	name := regexp.MustCompile(`\bmcpgate_[a-z_]+`)
	rules := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			rules++
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q: alert, expr, labels.severity and annotations.summary are required", r.Alert)
			}
			if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") {
				t.Errorf("rule %q: unbalanced parentheses in %q", r.Alert, r.Expr)
			}
			for _, metric := range name.FindAllString(r.Expr, -1) {
				if !strings.Contains(served, "\n"+metric+"{") && !strings.Contains(served, "\n"+metric+" ") {
					t.Errorf("rule %q names %s, which mcpgate does not serve", r.Alert, metric)
				}
			}
		}
	}
	if rules < 4 {
		t.Errorf("%d rules, want the error ratio, replays, store and IdP errors at least", rules)
	}
}
