package bridge

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestReadEvents(t *testing.T) {
	tests := []struct {
		name      string
		stream    string
		want      []string
		lastID    string
		retry     time.Duration
		wantError bool
	}{
		{name: "one event", stream: "data: {\"a\":1}\n\n", want: []string{`{"a":1}`}},
		{name: "multi-line data joined", stream: "data: {\"a\":\ndata: 1}\n\n", want: []string{"{\"a\":\n1}"}},
		{name: "comments and priming event without data", stream: ": keep-alive\nid: 7\nretry: 1500\ndata:\n\nid: 8\ndata: x\n\n", want: []string{"x"}, lastID: "8", retry: 1500 * time.Millisecond},
		{name: "no space after colon", stream: "data:x\n\n", want: []string{"x"}},
		{name: "last event without blank line", stream: "data: x", want: []string{"x"}},
		{name: "id with NUL ignored", stream: "id: a\x00b\ndata: x\n\n", want: []string{"x"}},
		{name: "retry capped", stream: "retry: 99999999\n\n", retry: maxRetry},
		{name: "retry that would overflow a Duration", stream: "retry: 9223372036854775807\n\n", retry: maxRetry},
		{name: "retry found by the fuzzer", stream: "retry: 9000000000000000\n\n", retry: maxRetry},
		{name: "retry not a number", stream: "retry: soon\n\n"},
		{name: "line too long", stream: "data: " + strings.Repeat("a", 2000) + "\n\n", wantError: true},
		{name: "event too long in many lines", stream: strings.Repeat("data: "+strings.Repeat("a", 300)+"\n", 5) + "\n", wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st streamState
			var got []string
			err := readEvents(strings.NewReader(tt.stream), 1024, &st, func(ev event) error {
				got = append(got, string(ev.data))
				return nil
			})
			if (err != nil) != tt.wantError {
				t.Fatalf("err %v", err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("events %q, want %q", got, tt.want)
			}
			if st.lastID != tt.lastID || st.retry != tt.retry {
				t.Errorf("state %+v, want id %q retry %v", st, tt.lastID, tt.retry)
			}
		})
	}
}

func TestParamHeaders(t *testing.T) {
	var p paramHeaders
	p.learn(json.RawMessage(`{"tools":[
		{"name":"deploy","inputSchema":{"type":"object","properties":{
			"region":{"type":"string","x-mcp-header":"Region"},
			"count":{"type":"integer","x-mcp-header":"Count"},
			"dry":{"type":"boolean","x-mcp-header":"Dry-Run"},
			"note":{"type":"string"}}}},
		{"name":"bad_dup","inputSchema":{"type":"object","properties":{
			"a":{"type":"string","x-mcp-header":"X"},"b":{"type":"string","x-mcp-header":"x"}}}},
		{"name":"bad_type","inputSchema":{"type":"object","properties":{"o":{"type":"object","x-mcp-header":"O"}}}},
		{"name":"bad_name","inputSchema":{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"has space"}}}}
	]}`))
	args := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name, tool, args string
		want             map[string]string
	}{
		{name: "plain values", tool: "deploy", args: `{"region":"us-west1","count":42,"dry":false,"note":"n"}`,
			want: map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Count": "42", "Mcp-Param-Dry-Run": "false"}},
		{name: "non-ASCII in Base64", tool: "deploy", args: `{"region":"Hello, 世界"}`,
			want: map[string]string{"Mcp-Param-Region": "=?base64?SGVsbG8sIOS4lueVjA==?="}},
		{name: "surrounding space in Base64", tool: "deploy", args: `{"region":" padded "}`,
			want: map[string]string{"Mcp-Param-Region": "=?base64?IHBhZGRlZCA=?="}},
		{name: "control character in Base64", tool: "deploy", args: `{"region":"a\nb"}`,
			want: map[string]string{"Mcp-Param-Region": "=?base64?YQpi?="}},
		{name: "null omitted", tool: "deploy", args: `{"region":null}`, want: map[string]string{}},
		{name: "absent omitted", tool: "deploy", args: `{}`, want: map[string]string{}},
		{name: "duplicate header names: none", tool: "bad_dup", args: `{"a":"1","b":"2"}`, want: map[string]string{}},
		{name: "object type: none", tool: "bad_type", args: `{"o":"1"}`, want: map[string]string{}},
		{name: "invalid header name: none", tool: "bad_name", args: `{"a":"1"}`, want: map[string]string{}},
		{name: "unknown tool", tool: "other", args: `{"region":"x"}`, want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.headers(tt.tool, args(tt.args))
			if len(got) != len(tt.want) {
				t.Fatalf("headers %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// FuzzReadEvents: a hostile MCP server's stream cannot crash connect or
// hand the host an event beyond the size bound.
func FuzzReadEvents(f *testing.F) {
	f.Add("data: {}\n\n")
	f.Add("id: 1\nretry: 10\ndata: a\ndata: b\n\n: c\n")
	f.Add("data:" + strings.Repeat("x", 300) + "\n\n")
	f.Add("data: " + strings.Repeat("x", 200) + "\ndata: " + strings.Repeat("y", 200) + "\n\n")
	f.Fuzz(func(t *testing.T, stream string) {
		var st streamState
		_ = readEvents(strings.NewReader(stream), 256, &st, func(ev event) error {
			if len(ev.data) > 256 {
				t.Fatalf("an event of %d bytes passed a 256-byte bound", len(ev.data))
			}
			return nil
		})
		if st.retry < 0 || st.retry > maxRetry {
			t.Fatalf("retry %v outside [0, %v]", st.retry, maxRetry)
		}
	})
}
