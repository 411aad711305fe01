package metrics

import (
	"bytes"
	"os"
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

	served := servedFamilies(t)
	rules := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			rules++
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q: alert, expr, labels.severity and annotations.summary are required", r.Alert)
			}
			checkQuery(t, "rule "+r.Alert, r.Expr, served)
		}
	}
	if rules < 4 {
		t.Errorf("%d rules, want the error ratio, replays, store and IdP errors at least", rules)
	}
}
