package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/audit"
	"github.com/mcpgate/mcpgate/proxy/policy"
	"github.com/mcpgate/mcpgate/proxy/principal"
	"github.com/mcpgate/mcpgate/proxy/requestid"
)

// TestInspect is the policy at /mcp message by message: what mcpgate
// answers itself, what it forwards, and what it audits.
func TestInspect(t *testing.T) {
	pol := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "eng", Groups: []string{"eng"}, Allow: policy.Permissions{Tools: []string{"*"}, Prompts: []string{"review"}, Resources: []string{"file:///workspace/*", "FILE:///*"}}, Deny: policy.Permissions{Tools: []string{"system_exec"}}},
		{Name: "eng-write", Groups: []string{"eng"}, Scope: "mcp:write", Allow: policy.Permissions{Resources: []string{"file:///*"}}},
	}})
	call := func(id, tool string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
	}
	tests := []struct {
		name        string
		body        string
		header      map[string]string
		noRules     bool
		wantForward bool
		wantBody    string // forwarded body, when it is rewritten
		wantStatus  int    // of mcpgate's own answer
		wantAnswer  string // in mcpgate's own answer
		wantAudit   []string
	}{
		{name: "allowed call", body: call("1", "echo"), wantForward: true, wantAudit: []string{"allow:eng"}},
		{name: "denied call", body: call("7", "system_exec"), wantStatus: 200,
			wantAnswer: `{"jsonrpc":"2.0","id":7,"error":{"code":-32001,"message":"permission denied: tool system_exec","data":{"required_permission":"tool:system_exec"}}}`,
			wantAudit:  []string{"deny:eng"}},
		{name: "string id kept", body: call(`"abc"`, "system_exec"), wantStatus: 200, wantAnswer: `"id":"abc"`, wantAudit: []string{"deny:eng"}},
		{name: "unknown prompt", body: `{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"other"}}`, wantStatus: 200,
			wantAnswer: `permission denied: prompt other`, wantAudit: []string{"deny:"}},
		{name: "denied notification", body: `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"system_exec"}}`, wantStatus: 202, wantAudit: []string{"deny:eng"}},
		{name: "other notification", body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`, wantForward: true, wantAudit: []string{"allow:"}},
		{name: "malformed JSON", body: `{"jsonrpc":"2.0","id":1,`, wantStatus: 400, wantAnswer: `"code":-32700`, wantAudit: []string{"invalid:"}},
		{name: "ambiguous message", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","Name":"system_exec"}}`,
			wantStatus: 400, wantAnswer: `"code":-32600`, wantAudit: []string{"invalid:"}},
		{name: "malformed JSON without rules goes on", noRules: true, body: `{"x":`, wantForward: true, wantAudit: []string{"invalid:"}},
		{name: "batch, one member refused", body: "[" + call("1", "echo") + "," + call("2", "system_exec") + "]", wantForward: true,
			wantBody: "[" + call("1", "echo") + "]", wantAudit: []string{"allow:eng", "deny:eng"}},
		{name: "batch, all refused", body: "[" + call("1", "system_exec") + "," + call("2", "system_exec") + "]", wantStatus: 200,
			wantAnswer: `[{"jsonrpc":"2.0","id":1,"error"`, wantAudit: []string{"deny:eng", "deny:eng"}},
		{name: "batch repeating a request id", body: `[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":1,"method":"prompts/list"}]`,
			wantStatus: 400, wantAnswer: `repeats a request id`, wantAudit: []string{"invalid:"}},
		{name: "resource URI with dot segments", body: `{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"file:///workspace/../etc/passwd"}}`, wantStatus: 200,
			wantAnswer: `permission denied: resource file:///workspace/../etc/passwd`, wantAudit: []string{"deny:"}},
		{name: "resource URI with an encoded dot", body: `{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"file:///workspace/%2e%2e/etc"}}`, wantStatus: 200,
			wantAnswer: `permission denied`, wantAudit: []string{"deny:"}},
		{name: "resource URI with an upper-case scheme", body: `{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"FILE:///secrets/x"}}`, wantStatus: 200,
			wantAnswer: `permission denied`, wantAudit: []string{"deny:"}},
		{name: "completion for an allowed prompt", body: `{"jsonrpc":"2.0","id":5,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"review"},"argument":{"name":"a","value":"x"}}}`,
			wantForward: true, wantAudit: []string{"allow:eng"}},
		{name: "completion for a refused prompt", body: `{"jsonrpc":"2.0","id":5,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"secret"},"argument":{"name":"a","value":"x"}}}`,
			wantStatus: 200, wantAnswer: `permission denied: prompt secret`, wantAudit: []string{"deny:"}},
		{name: "completion for an allowed resource template", body: `{"jsonrpc":"2.0","id":5,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"file:///workspace/{path}"},"argument":{"name":"path","value":"x"}}}`,
			wantForward: true, wantAudit: []string{"allow:eng"}},
		{name: "scope to step up to", body: `{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"file:///a"}}`, wantStatus: 403,
			wantAnswer: `insufficient scope`, wantAudit: []string{"step_up:"}},
		{name: "resource allowed", body: `{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"file:///workspace/a%20b.txt"}}`, wantForward: true, wantAudit: []string{"allow:eng"}},
		{name: "Mcp-Method agrees", body: call("1", "echo"), header: map[string]string{"Mcp-Method": " tools/call ", "Mcp-Name": "echo"}, wantForward: true, wantAudit: []string{"allow:eng"}},
		{name: "Mcp-Name base64", body: call("1", "echo"), header: map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "=?base64?ZWNobw==?="}, wantForward: true, wantAudit: []string{"allow:eng"}},
		{name: "Mcp-Name disagrees", body: call("1", "echo"), header: map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "system_exec"},
			wantStatus: 400, wantAnswer: `"id":1,"error":{"code":-32020`, wantAudit: []string{"invalid:"}},
		{name: "Mcp-Method missing on 2026-07-28", body: call("1", "echo"), header: map[string]string{"MCP-Protocol-Version": "2026-07-28"},
			wantStatus: 400, wantAnswer: `"code":-32020`, wantAudit: []string{"invalid:"}},
		{name: "Mcp-Method missing before 2026-07-28", body: call("1", "echo"), header: map[string]string{"MCP-Protocol-Version": "2025-11-25"}, wantForward: true, wantAudit: []string{"allow:eng"}},
	}
	who := &principal.Principal{Subject: "ada", Groups: []string{"eng"}, Scopes: []string{"mcp"}, ClientID: "c"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{issuer: "https://mcp.example.com", audit: &audit.Log{}}
			p := pol
			if tt.noRules {
				p = policy.New(policy.Config{})
			}
			rt := &Route{Path: "/mcp", Resource: "https://mcp.example.com/mcp", Policy: policy.NewCurrent(p)}
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(tt.body))
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			ex := s.inspect(w, r, rt, &verified{principal: who}, []byte(tt.body))
			if ex == nil {
				t.Fatal("got nil exchange, want one (rules or audit are on)")
			}
			if ex.answered == tt.wantForward {
				t.Fatalf("got answered %v (%d %s), want forwarded %v", ex.answered, w.Code, w.Body, tt.wantForward)
			}
			if string(ex.body) != tt.wantBody {
				t.Errorf("got forwarded body %q, want %q", ex.body, tt.wantBody)
			}
			if !tt.wantForward {
				if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), tt.wantAnswer) {
					t.Errorf("got %d %s, want %d containing %s", w.Code, w.Body, tt.wantStatus, tt.wantAnswer)
				}
				if w.Code == 200 && !json.Valid(w.Body.Bytes()) {
					t.Errorf("got invalid JSON %s", w.Body)
				}
			}
			var got []string
			for _, rec := range ex.records {
				got = append(got, rec.Decision+":"+rec.Rule)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantAudit, ",") {
				t.Errorf("got audit %v, want %v", got, tt.wantAudit)
			}
		})
	}
}

func TestNoRulesNoAuditReadsNothing(t *testing.T) {
	s := &Server{issuer: "https://mcp.example.com"}
	rt := &Route{Path: "/mcp", Resource: "https://mcp.example.com/mcp", Policy: policy.NewCurrent(policy.New(policy.Config{}))}
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`not even JSON`))
	if ex := s.inspect(httptest.NewRecorder(), r, rt, &verified{principal: &principal.Principal{}}, []byte(`not even JSON`)); ex != nil {
		t.Errorf("got %+v, want nil: without rules, audit or MCP headers the body is not read", ex)
	}
}

// BenchmarkInspect is what the policy and the audit log add to a
// forwarded tools/call: parse, decide against 1,000 rules, audit.
func BenchmarkInspect(b *testing.B) {
	log, err := audit.Open(b.TempDir() + "/audit.log")
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	s := &Server{issuer: "https://mcp.example.com", audit: log, requestIDs: requestid.NewGenerator()}
	rt := &Route{Path: "/mcp", Resource: "https://mcp.example.com/mcp", Policy: policy.NewCurrent(policy.New(policy.Config{Rules: policy.SyntheticRules(1000)}))}
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello from the load test"}}}`)
	v := &verified{principal: &principal.Principal{Subject: "https://idp.example.com#ada", Email: "ada@example.com", ClientID: "client-1", Scopes: []string{"mcp"}}}
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		ex := s.inspect(w, r, rt, v, body)
		s.writeAudit(r.Context(), ex, start, http.StatusOK)
	}
}
