package jsonrpc

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func keepNoSecret(_ List, name string) bool { return !strings.Contains(name, "secret") }

const toolsResult = `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"},{"name":"secret_tool"},{"name":"add"}],"nextCursor":"c2"}}`

func TestRewriter(t *testing.T) {
	lists := map[string]List{IDKey(json.RawMessage("1")): Tools}
	deny := ErrorResponse(json.RawMessage(`"x"`), -32001, "permission denied: tool t", nil)
	tests := []struct {
		name        string
		contentType string
		status      int
		chunks      []string
		lists       map[string]List
		extra       [][]byte
		wantStatus  int
		want        string
	}{
		{name: "JSON list filtered, cursor kept", contentType: "application/json", status: 200, chunks: []string{toolsResult[:40], toolsResult[40:]}, lists: lists,
			wantStatus: 200, want: `{"jsonrpc":"2.0","id":1,"result":{"nextCursor":"c2","tools":[{"name":"echo"},{"name":"add"}]}}`},
		{name: "JSON answer to another id untouched", contentType: "application/json", status: 200, chunks: []string{strings.Replace(toolsResult, `"id":1`, `"id":2`, 1)}, lists: lists,
			wantStatus: 200, want: strings.Replace(toolsResult, `"id":1`, `"id":2`, 1)},
		{name: "event stream list filtered, split anywhere", contentType: "text/event-stream", status: 200, lists: lists,
			chunks:     []string{"event: message\nid: 7\nda", "ta: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n", "event: message\r\nid: 8\r\ndata: " + toolsResult + "\r\n\r\n"},
			wantStatus: 200, want: "event: message\nid: 7\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\nevent: message\nid: 8\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"nextCursor\":\"c2\",\"tools\":[{\"name\":\"echo\"},{\"name\":\"add\"}]}}\n\n"},
		{name: "batch answer gets the refused members' errors", contentType: "application/json", status: 200, chunks: []string{`[` + toolsResult + `]`}, lists: lists, extra: [][]byte{deny},
			wantStatus: 200, want: `[{"jsonrpc":"2.0","id":1,"result":{"nextCursor":"c2","tools":[{"name":"echo"},{"name":"add"}]}},` + string(deny) + `]`},
		{name: "notifications accepted, refused members answered", status: 202, extra: [][]byte{deny}, wantStatus: 200, want: string(deny)},
		{name: "stream starts with the refused members' errors", contentType: "text/event-stream", status: 200, extra: [][]byte{deny}, chunks: []string{"data: {}\n\n"},
			wantStatus: 200, want: "event: message\ndata: " + string(deny) + "\n\ndata: {}\n\n"},
		{name: "backend error passes", contentType: "application/json", status: 500, chunks: []string{`{"x":1}`}, lists: lists, wantStatus: 500, want: `{"x":1}`},
		{name: "unreadable items are dropped", contentType: "application/json", status: 200, lists: lists,
			chunks:     []string{`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"},{"name":5},"x"]}}`},
			wantStatus: 200, want: `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rw := NewRewriter(rec, tt.lists, keepNoSecret, tt.extra)
			if tt.contentType != "" {
				rw.Header().Set("Content-Type", tt.contentType)
			}
			rw.WriteHeader(tt.status)
			for _, c := range tt.chunks {
				if _, err := rw.Write([]byte(c)); err != nil {
					t.Fatal(err)
				}
			}
			rw.Finish()
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.want {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantStatus, tt.want)
			}
			if cl := rec.Header().Get("Content-Length"); cl != "" && cl != itoa(rec.Body.Len()) {
				t.Errorf("got Content-Length %s for a body of %d bytes", cl, rec.Body.Len())
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

var _ http.Flusher = (*Rewriter)(nil)
