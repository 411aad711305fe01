//go:build linux

package interop_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	userEng   = "interop-user-1" // ada@example.com, groups engineering
	userSales = "interop-user-2" // bo@example.com, groups sales
	userOut   = "interop-user-3" // eve@outside.example
)

// policyYAML is the policy under test; reloadable is swapped in by the
// reload step.
const policyYAML = `mcp:
  scopes: [mcp, "mcp:write"]
policy:
  signin:
    allowed_email_domains: [example.com]
    required_groups: [mcp-users]
  rules:
    - name: engineers
      groups: [engineering]
      allow:
        tools: ["test_*"]
        resources: ["test://*"]
        prompts: ["test_*"]
      deny:
        tools: [test_error_handling]
    - name: engineers-write
      groups: [engineering]
      scope: "mcp:write"
      allow:
        tools: [json_schema_2020_12_tool]
    - name: sales
      groups: [sales]
      allow:
        tools: [test_image_content]
        resources: ["test://static-binary"]
        prompts: [test_prompt_with_arguments]
%s
audit:
  path: %s
`

// TestPolicyThroughMCPGate: two users of different groups, signed in
// through oidc-provider, reach the go-sdk conformance backend through
// mcpgate; each sees and calls only what the policy gives their group.
func TestPolicyThroughMCPGate(t *testing.T) {
	tc := requireToolchain(t)
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.log")
	cfgPath := filepath.Join(dir, "mcpgate.yaml")
	writeConfig := func(extraRule string) {
		if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(policyYAML, extraRule, auditPath)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("")
	rec := &backendRecorder{}
	s := startStack(t, tc, stackOptions{configFile: cfgPath, viaBackend: func(b string) string { return rec.start(t, b) }})

	eng := &mcpSession{t: t, url: s.resource(), token: s.signInAs(t, userEng, "mcp").AccessToken}
	sales := &mcpSession{t: t, url: s.resource(), token: s.signInAs(t, userSales, "mcp", "mcp:write").AccessToken}
	if got := claimsOf(t, sales.token).Scope; got != "mcp" {
		t.Errorf("sales asked for mcp:write: got scope %q, want it narrowed to mcp (no rule gives sales mcp:write)", got)
	}
	eng.initialize()
	sales.initialize()

	t.Run("tools", func(t *testing.T) {
		engTools := names(t, eng.post(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`).response(t, 1), "tools", "name")
		list := sales.post(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
		if !strings.HasPrefix(list.contentType, "text/event-stream") {
			t.Errorf("got %q, want the backend's SSE answer filtered", list.contentType)
		}
		salesTools := names(t, list.response(t, 1), "tools", "name")
		if !slices.Contains(engTools, "test_simple_text") || slices.Contains(engTools, "test_error_handling") || slices.Contains(engTools, "json_schema_2020_12_tool") {
			t.Errorf("engineer sees %v: want test_simple_text, not the denied test_error_handling nor the mcp:write tool", engTools)
		}
		if len(salesTools) != 1 || salesTools[0] != "test_image_content" {
			t.Errorf("sales sees %v, want only test_image_content", salesTools)
		}
		ok := eng.post(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}`).response(t, 2)
		if ok["result"] == nil {
			t.Errorf("engineer's call: got %v, want a result", ok)
		}
		before := rec.saw(`"id":4242`)
		a := sales.post(`{"jsonrpc":"2.0","id":4242,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}`)
		if a.status != http.StatusOK {
			t.Errorf("refused call: got HTTP %d, want 200 with a JSON-RPC error", a.status)
		}
		deniedWith(t, a, 4242, "tool:test_simple_text")
		if before || rec.saw(`"id":4242`) {
			t.Error("the backend received the refused call")
		}
		deniedWith(t, eng.post(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"test_error_handling","arguments":{}}}`), 5, "tool:test_error_handling")
	})

	t.Run("resources and prompts", func(t *testing.T) {
		salesRes := names(t, sales.post(`{"jsonrpc":"2.0","id":10,"method":"resources/list"}`).response(t, 10), "resources", "uri")
		if len(salesRes) != 1 || salesRes[0] != "test://static-binary" {
			t.Errorf("sales sees resources %v, want only test://static-binary", salesRes)
		}
		if r := eng.post(`{"jsonrpc":"2.0","id":11,"method":"resources/read","params":{"uri":"test://static-text"}}`).response(t, 11); r["result"] == nil {
			t.Errorf("engineer's read: got %v, want a result", r)
		}
		deniedWith(t, sales.post(`{"jsonrpc":"2.0","id":12,"method":"resources/read","params":{"uri":"test://static-text"}}`), 12, "resource:test://static-text")
		salesPrompts := names(t, sales.post(`{"jsonrpc":"2.0","id":13,"method":"prompts/list"}`).response(t, 13), "prompts", "name")
		if len(salesPrompts) != 1 || salesPrompts[0] != "test_prompt_with_arguments" {
			t.Errorf("sales sees prompts %v, want only test_prompt_with_arguments", salesPrompts)
		}
		if r := eng.post(`{"jsonrpc":"2.0","id":14,"method":"prompts/get","params":{"name":"test_simple_prompt"}}`).response(t, 14); r["result"] == nil {
			t.Errorf("engineer's prompt: got %v, want a result", r)
		}
		deniedWith(t, sales.post(`{"jsonrpc":"2.0","id":15,"method":"prompts/get","params":{"name":"test_simple_prompt"}}`), 15, "prompt:test_simple_prompt")
		if rec.saw(`"id":12`) || rec.saw(`"id":15`) {
			t.Error("the backend received a refused read or prompt")
		}
	})

	t.Run("step up", func(t *testing.T) {
		call := `{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"json_schema_2020_12_tool","arguments":{}}}`
		a := eng.post(call)
		challenge := a.header.Get("WWW-Authenticate")
		if a.status != http.StatusForbidden || !strings.Contains(challenge, `error="insufficient_scope"`) ||
			!strings.Contains(challenge, `scope="mcp mcp:write"`) || !strings.Contains(challenge, `resource_metadata="`+s.issuer) {
			t.Fatalf("got %d %q, want 403 insufficient_scope asking for mcp mcp:write", a.status, challenge)
		}
		// What a client does with the challenge: sign in again for the
		// scopes it names.
		writer := &mcpSession{t: t, url: s.resource(), token: s.signInAs(t, userEng, "mcp", "mcp:write").AccessToken}
		writer.initialize()
		r := writer.post(strings.Replace(call, `"id":20`, `"id":21`, 1))
		if r.status != http.StatusOK || r.response(t, 21)["error"] != nil {
			t.Errorf("after step-up: got %d %v, want the call to reach the tool", r.status, r.msgs)
		}
		deniedWith(t, sales.post(strings.Replace(call, `"id":20`, `"id":22`, 1)), 22, "tool:json_schema_2020_12_tool")
	})

	t.Run("step up with the go-sdk client", func(t *testing.T) {
		testGoSDKStepUp(t, s)
	})

	t.Run("sign-in refused", func(t *testing.T) {
		tok, back := s.trySignInAs(t, userOut, "mcp")
		if tok != nil || back.Query().Get("error") != "access_denied" {
			t.Fatalf("got token %v, redirect error %q; want access_denied and no token", tok != nil, back.Query().Get("error"))
		}
		if !strings.Contains(s.lastRefusal, "eve@outside.example") || !strings.Contains(s.lastRefusal, "not one of those allowed") {
			t.Errorf("refusal page does not say who and why:\n%s", s.lastRefusal)
		}
	})

	t.Run("reload", func(t *testing.T) {
		// A stream open across the reloads must stay open.
		stream := openStream(t, eng)
		defer stream.Close()
		writeConfig(`    - name: no-simple-text
      deny:
        tools: [test_simple_text]`)
		reload(t, s, "policy reloaded")
		deniedWith(t, eng.post(`{"jsonrpc":"2.0","id":30,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}`), 30, "tool:test_simple_text")
		writeConfig(`    - groups: [engineering]
      allow:
        tools: [x]`) // no name: refused
		reload(t, s, "reload refused")
		deniedWith(t, eng.post(`{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}`), 31, "tool:test_simple_text")
		if r := eng.post(`{"jsonrpc":"2.0","id":32,"method":"tools/call","params":{"name":"test_image_content","arguments":{}}}`).response(t, 32); r["result"] == nil {
			t.Errorf("after a refused reload: got %v, want the old policy still allowing test_image_content", r)
		}
		if err := stream.stillOpen(); err != nil {
			t.Errorf("the stream opened before the reloads: %v", err)
		}
	})

	t.Run("audit", func(t *testing.T) {
		checkAuditLog(t, auditPath)
		// And every other log of the deployment: mcpgate's, the IdP's and
		// the backend's output hold no token, code or secret either.
		for _, p := range []*proc{s.gw, s.idpProc, s.backProc} {
			if out := p.out.String(); out == "" || redact(out) != out {
				t.Errorf("%s's log (%d bytes) is empty or holds a token, code or secret", p.name, len(out))
			}
		}
	})
}
