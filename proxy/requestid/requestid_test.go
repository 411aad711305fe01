package requestid

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"3f2a-17", true}, {"abc.DEF_123:x", true}, {"", false}, {strings.Repeat("a", 129), false},
		{"a b", false}, {"a\r\nX-Injected: 1", false}, {"é", false}, {`"quoted"`, false},
	} {
		if got := Valid(tt.id); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestHandlerAddsTheID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	log.InfoContext(With(context.Background(), "req-1"), "hello")
	log.InfoContext(context.Background(), "no id")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"request_id":"req-1"`) || strings.Contains(lines[1], "request_id") {
		t.Errorf("got %q", lines)
	}
	g := NewGenerator()
	if a, b := g.Next(), g.Next(); a == b || !strings.HasSuffix(b, "-2") {
		t.Errorf("ids %q, %q", a, b)
	}
}
