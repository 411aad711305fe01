package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// grafanaDashboard is the part of Grafana's dashboard model the file
// uses; decoding refuses any other key, so a misspelt one fails here.
type grafanaDashboard struct {
	Title        string          `json:"title"`
	UID          string          `json:"uid"`
	Description  string          `json:"description"`
	Tags         []string        `json:"tags"`
	Timezone     string          `json:"timezone"`
	Schema       int             `json:"schemaVersion"`
	Version      int             `json:"version"`
	Editable     bool            `json:"editable"`
	GraphTooltip int             `json:"graphTooltip"`
	Time         json.RawMessage `json:"time"`
	Refresh      string          `json:"refresh"`
	Templating   struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Label      string          `json:"label"`
			Datasource json.RawMessage `json:"datasource"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
			IncludeAll bool            `json:"includeAll"`
			Multi      bool            `json:"multi"`
			AllValue   string          `json:"allValue"`
			Current    json.RawMessage `json:"current"`
			Refresh    int             `json:"refresh"`
			Hide       int             `json:"hide"`
			Options    json.RawMessage `json:"options"`
			Sort       int             `json:"sort"`
		} `json:"list"`
	} `json:"templating"`
	Annotations json.RawMessage `json:"annotations"`
	Panels      []grafanaPanel  `json:"panels"`
}

type grafanaPanel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Collapsed   bool            `json:"collapsed"`
	Panels      json.RawMessage `json:"panels"`
	Datasource  *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct {
		H int `json:"h"`
		W int `json:"w"`
		X int `json:"x"`
		Y int `json:"y"`
	} `json:"gridPos"`
	FieldConfig json.RawMessage `json:"fieldConfig"`
	Options     json.RawMessage `json:"options"`
	Targets     []struct {
		Datasource   json.RawMessage `json:"datasource"`
		Expr         string          `json:"expr"`
		LegendFormat string          `json:"legendFormat"`
		RefID        string          `json:"refId"`
	} `json:"targets"`
}

// TestGrafanaDashboard: deploy/grafana/mcpgate.json decodes strictly,
// its panels do not overlap, each query names only series and labels
// mcpgate serves, and every family mcpgate serves is on it.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/mcpgate.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d grafanaDashboard
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("mcpgate.json: %v", err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	served := servedFamilies(t)
	shown := map[string]bool{}
	ids := map[int]bool{}
	cells := map[[2]int]string{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X < 0 || p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H <= 0 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, p.GridPos)
		}
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, ok := cells[[2]int{x, y}]; ok {
					t.Errorf("panels %q and %q overlap at %d,%d", other, p.Title, x, y)
					break
				}
				cells[[2]int{x, y}] = p.Title
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: want the ${datasource} variable and at least one query", p.Title)
		}
		for _, q := range p.Targets {
			checkQuery(t, fmt.Sprintf("panel %q", p.Title), q.Expr, served)
			for _, n := range metricName.FindAllString(q.Expr, -1) {
				shown[n] = true
			}
		}
	}
	for family := range served {
		if !shown[family] && !shown[histogramOf(family, served)+"_bucket"] {
			t.Errorf("mcpgate serves %s, which no panel shows", family)
		}
	}
}

// histogramOf is the histogram a _bucket, _sum or _count series belongs
// to, or "" for another series.
func histogramOf(series string, served map[string]map[string]bool) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(series, suffix); ok && served[base+"_bucket"] != nil {
			return base
		}
	}
	return ""
}
