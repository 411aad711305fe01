package jsonrpc

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		want      []Message
		wantBatch bool
		wantErr   error
	}{
		{name: "tool call", body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"name":"x","uri":"y"}}}`,
			want: []Message{{ID: []byte("7"), Method: "tools/call", Name: "echo"}}},
		{name: "string id and uri", body: ` {"id":"a-1","method":"resources/read","params":{"uri":"file:///a"},"jsonrpc":"2.0"} `,
			want: []Message{{ID: []byte(`"a-1"`), Method: "resources/read", URI: "file:///a"}}},
		{name: "escaped name", body: `{"id":1,"method":"tools/call","params":{"name":"system\u005fexec"}}`,
			want: []Message{{ID: []byte("1"), Method: "tools/call", Name: "system_exec"}}},
		{name: "notification", body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
			want: []Message{{Method: "notifications/initialized"}}},
		{name: "null id", body: `{"id":null,"method":"tools/call","params":{"name":"a"}}`,
			want: []Message{{Method: "tools/call", Name: "a"}}},
		{name: "response from the client", body: `{"jsonrpc":"2.0","id":3,"result":{"name":"ignored"}}`,
			want: []Message{{ID: []byte("3")}}},
		{name: "batch", body: `[{"id":1,"method":"tools/list"}, {"id":2,"method":"tools/call","params":{"name":"a"}} ,{"method":"n"}]`, wantBatch: true,
			want: []Message{{ID: []byte("1"), Method: "tools/list"}, {ID: []byte("2"), Method: "tools/call", Name: "a"}, {Method: "n"}}},
		{name: "nested strings with brackets", body: `{"id":1,"params":{"arguments":{"s":"}]\"{"},"name":"b"},"method":"tools/call"}`,
			want: []Message{{ID: []byte("1"), Method: "tools/call", Name: "b"}}},
		{name: "completion ref", body: `{"id":2,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"p"},"argument":{"name":"n","value":"v"}}}`,
			want: []Message{{ID: []byte("2"), Method: "completion/complete", RefType: "ref/prompt", RefName: "p"}}},
		{name: "ref name twice", body: `{"id":2,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"p","NAME":"q"}}}`, wantErr: ErrInvalid},
		{name: "malformed JSON", body: `{"id":1,"method":"tools/call"`, wantErr: ErrParse},
		{name: "empty body", body: ``, wantErr: ErrParse},
		{name: "empty batch", body: `[]`, wantBatch: true, wantErr: ErrInvalid},
		{name: "not an object", body: `"tools/call"`, wantErr: ErrInvalid},
		{name: "batch member not an object", body: `[{"id":1,"method":"a"},2]`, wantBatch: true, wantErr: ErrInvalid},
		{name: "method twice", body: `{"id":1,"method":"tools/list","method":"tools/call","params":{"name":"x"}}`, wantErr: ErrInvalid},
		{name: "name twice", body: `{"id":1,"method":"tools/call","params":{"name":"echo","name":"system_exec"}}`, wantErr: ErrInvalid},
		{name: "key in another case", body: `{"id":1,"method":"tools/list","Method":"tools/call"}`, wantErr: ErrInvalid},
		{name: "name in another case", body: `{"id":1,"method":"tools/call","params":{"name":"echo","NAME":"system_exec"}}`, wantErr: ErrInvalid},
		{name: "key folding to name by Unicode", body: `{"id":1,"method":"tools/call","paramſ":{"name":"x"}}`, wantErr: ErrInvalid},
		{name: "name not a string", body: `{"id":1,"method":"tools/call","params":{"name":["system_exec"]}}`, wantErr: ErrInvalid},
		{name: "method not a string", body: `{"id":1,"method":7}`, wantErr: ErrInvalid},
		{name: "id an object", body: `{"id":{"a":1},"method":"tools/list"}`, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, batch, err := Parse([]byte(tt.body))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if batch != tt.wantBatch {
				t.Errorf("got batch %v, want %v", batch, tt.wantBatch)
			}
			for i := range got {
				if raw := string(got[i].Raw); raw == "" || raw[0] != '{' || raw[len(raw)-1] != '}' {
					t.Errorf("message %d: got raw %q, want the object", i, raw)
				}
				got[i].Raw = nil
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParse: no input makes Parse panic, and what it accepts encoding/json
// reads the same way (method and, for a single message, the name).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{}}}`,
		`[{"id":1,"method":"tools/list"},{"method":"n"}]`,
		`{"id":"a","method":"resources/read","params":{"uri":"file:///a"}}`,
		`{"id":2,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"p"}}}`,
		`{"id":1,"method":"tools/call","params":{"name":"a\u0062"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, batch, err := Parse(body)
		if err != nil || batch || len(msgs) != 1 {
			return
		}
		var std struct {
			Method string `json:"method"`
			Params struct {
				Name string `json:"name"`
			} `json:"params"`
		}
		if json.Unmarshal(body, &std) != nil {
			return // e.g. params not an object: the scanner reads no name
		}
		if std.Method != msgs[0].Method || (std.Params.Name != msgs[0].Name && msgs[0].Name != "") {
			t.Errorf("%q: scanner read method %q name %q, encoding/json %q %q", body, msgs[0].Method, msgs[0].Name, std.Method, std.Params.Name)
		}
	})
}
