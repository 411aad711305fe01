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
	var lists Lists
	lists.Add(Tools)
	deny := ErrorResponse(json.RawMessage(`"x"`), -32001, "permission denied: tool t", nil)
	tests := []struct {
		name        string
		contentType string
		status      int
		chunks      []string
		lists       Lists
		header      map[string]string
		extra       [][]byte
		wantStatus  int
		want        string
	}{
		{name: "JSON list filtered, cursor kept", contentType: "application/json", status: 200, chunks: []string{toolsResult[:40], toolsResult[40:]}, lists: lists,
			wantStatus: 200, want: `{"id":1,"jsonrpc":"2.0","result":{"nextCursor":"c2","tools":[{"name":"echo"},{"name":"add"}]}}`},
		{name: "filtered whatever the id (a backend respelling 1.0 as 1)", contentType: "application/json", status: 200, chunks: []string{strings.Replace(toolsResult, `"id":1`, `"id":2`, 1)}, lists: lists,
			wantStatus: 200, want: `{"id":2,"jsonrpc":"2.0","result":{"nextCursor":"c2","tools":[{"name":"echo"},{"name":"add"}]}}`},
		{name: "no list pending: untouched", contentType: "application/json", status: 200, chunks: []string{toolsResult},
			wantStatus: 200, want: toolsResult},
		{name: "compressed answer refused", contentType: "application/json", header: map[string]string{"Content-Encoding": "gzip"}, status: 200, chunks: []string{"\x1f\x8b..."}, lists: lists,
			wantStatus: 502, want: `could not be checked`},
		{name: "unreadable JSON refused", contentType: "application/json", status: 200, chunks: []string{`{"result":`}, lists: lists, wantStatus: 502, want: `could not be checked`},
		{name: "unknown content type refused", contentType: "application/octet-stream", status: 200, chunks: []string{toolsResult}, lists: lists, wantStatus: 502, want: `could not be checked`},
		{name: "json-rpc content type filtered", contentType: "application/json-rpc", status: 200, chunks: []string{toolsResult}, lists: lists,
			wantStatus: 200, want: `{"id":1,"jsonrpc":"2.0","result":{"nextCursor":"c2","tools":[{"name":"echo"},{"name":"add"}]}}`},
		{name: "event stream with CR line ends", contentType: "text/event-stream", status: 200, lists: lists, chunks: []string{"data: " + toolsResult + "\r\r"},
			wantStatus: 200, want: "data: {\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"nextCursor\":\"c2\",\"tools\":[{\"name\":\"echo\"},{\"name\":\"add\"}]}}\n\n"},
		{name: "last event without its blank line", contentType: "text/event-stream", status: 200, lists: lists, chunks: []string{"data: " + toolsResult},
			wantStatus: 200, want: "data: {\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"nextCursor\":\"c2\",\"tools\":[{\"name\":\"echo\"},{\"name\":\"add\"}]}}\n\n"},
		{name: "event holding a batch", contentType: "text/event-stream", status: 200, lists: lists, chunks: []string{"data: [" + toolsResult + "]\n\n"},
			wantStatus: 200, want: "data: [{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"nextCursor\":\"c2\",\"tools\":[{\"name\":\"echo\"},{\"name\":\"add\"}]}}]\n\n"},
		{name: "event stream list filtered, split anywhere", contentType: "text/event-stream", status: 200, lists: lists,
			chunks:     []string{"event: message\nid: 7\nda", "ta: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n", "event: message\r\nid: 8\r\ndata: " + toolsResult + "\r\n\r\n"},
			wantStatus: 200, want: "event: message\nid: 7\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\nevent: message\nid: 8\ndata: {\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"nextCursor\":\"c2\",\"tools\":[{\"name\":\"echo\"},{\"name\":\"add\"}]}}\n\n"},
		{name: "batch answer gets the refused members' errors", contentType: "application/json", status: 200, chunks: []string{`[` + toolsResult + `]`}, lists: lists, extra: [][]byte{deny},
			wantStatus: 200, want: `[{"id":1,"jsonrpc":"2.0","result":{"nextCursor":"c2","tools":[{"name":"echo"},{"name":"add"}]}},` + string(deny) + `]`},
		{name: "notifications accepted, refused members answered", status: 202, extra: [][]byte{deny}, wantStatus: 200, want: string(deny)},
		{name: "stream starts with the refused members' errors", contentType: "text/event-stream", status: 200, extra: [][]byte{deny}, chunks: []string{"data: {}\n\n"},
			wantStatus: 200, want: "event: message\ndata: " + string(deny) + "\n\ndata: {}\n\n"},
		{name: "backend error passes", contentType: "application/json", status: 500, chunks: []string{`{"x":1}`}, lists: lists, wantStatus: 500, want: `{"x":1}`},
		{name: "unreadable items are dropped", contentType: "application/json", status: 200, lists: lists,
			chunks:     []string{`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"},{"name":5},"x"]}}`},
			wantStatus: 200, want: `{"id":1,"jsonrpc":"2.0","result":{"tools":[{"name":"echo"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rw := NewRewriter(rec, tt.lists, keepNoSecret, tt.extra)
			if tt.contentType != "" {
				rw.Header().Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.header {
				rw.Header().Set(k, v)
			}
			rw.WriteHeader(tt.status)
			for _, c := range tt.chunks {
				if _, err := rw.Write([]byte(c)); err != nil {
					t.Fatal(err)
				}
			}
			rw.Finish()
			if rec.Code != tt.wantStatus || (rec.Body.String() != tt.want && !(tt.wantStatus == 502 && strings.Contains(rec.Body.String(), tt.want))) {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantStatus, tt.want)
			}
			if strings.HasPrefix(tt.contentType, "text/event-stream") && rec.Header().Get("Content-Length") != "" {
				t.Errorf("got Content-Length on an event stream")
			}
			if cl := rec.Header().Get("Content-Length"); cl != "" && cl != itoa(rec.Body.Len()) {
				t.Errorf("got Content-Length %s for a body of %d bytes", cl, rec.Body.Len())
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

var _ http.Flusher = (*Rewriter)(nil)

// FuzzRewriteEvents: no stream makes the Rewriter panic, and a list
// result in any event comes out filtered.
func FuzzRewriteEvents(f *testing.F) {
	f.Add([]byte("data: "+toolsResult+"\n\n"), uint8(3))
	f.Add([]byte("id: 1\r\ndata: "+toolsResult+"\r\n\r\n: comment\n\n"), uint8(7))
	f.Add([]byte("data: ["+toolsResult+"]\r\r"), uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, cut uint8) {
		rec := httptest.NewRecorder()
		rw := NewRewriter(rec, AllLists, keepNoSecret, nil)
		rw.Header().Set("Content-Type", "text/event-stream")
		rw.WriteHeader(http.StatusOK)
		c := int(cut) % (len(stream) + 1)
		rw.Write(stream[:c])
		rw.Write(stream[c:])
		rw.Finish()
		// What an SSE client makes of the output (a parser of its own,
		// after the spec, not the Rewriter's).
		out := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(rec.Body.String())
		for _, block := range strings.Split(out, "\n\n") {
			var data []string
			for _, line := range strings.Split(block, "\n") {
				if v, ok := strings.CutPrefix(line, "data:"); ok {
					data = append(data, strings.TrimPrefix(v, " "))
				} else if line == "data" {
					data = append(data, "")
				}
			}
			payload := strings.Join(data, "\n")
			var msg struct {
				Result struct {
					Tools []struct {
						Name string `json:"name"`
					} `json:"tools"`
				} `json:"result"`
			}
			if json.Unmarshal([]byte(payload), &msg) == nil {
				for _, tool := range msg.Result.Tools {
					if tool.Name == "secret_tool" {
						t.Errorf("secret_tool came through: %q -> %q", stream, rec.Body.String())
					}
				}
			}
		}
	})
}
