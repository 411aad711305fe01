//go:build linux

package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// backendRecorder stands behind mcpgate (it changes nothing a client
// sent) and records the JSON-RPC bodies the backend receives.
type backendRecorder struct {
	mu     sync.Mutex
	bodies []string
}

func (br *backendRecorder) start(t *testing.T, backend string) string {
	u, _ := url.Parse(backend)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		br.mu.Lock()
		br.bodies = append(br.bodies, string(body))
		br.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

func (br *backendRecorder) saw(s string) bool {
	br.mu.Lock()
	defer br.mu.Unlock()
	for _, b := range br.bodies {
		if strings.Contains(b, s) {
			return true
		}
	}
	return false
}

// mcpSession is a raw streamable HTTP session with one token.
type mcpSession struct {
	t       *testing.T
	url     string
	token   string
	session string
	// version is the protocol revision to speak; 2025-06-18 when empty.
	version string
}

func (s *mcpSession) revision() string {
	if s.version == "" {
		return "2025-06-18"
	}
	return s.version
}

// rpcAnswer is one HTTP exchange's outcome.
type rpcAnswer struct {
	status      int
	contentType string
	header      http.Header
	msgs        []map[string]any
}

func (s *mcpSession) post(body string) rpcAnswer {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if s.session != "" {
		req.Header.Set("Mcp-Session-Id", s.session)
		req.Header.Set("MCP-Protocol-Version", s.revision())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("POST %s: %v", s.url, err)
	}
	defer resp.Body.Close()
	a := rpcAnswer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(a.contentType, "text/event-stream") {
		for _, line := range strings.Split(string(raw), "\n") {
			if d, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "data: "); ok {
				var m map[string]any
				if json.Unmarshal([]byte(d), &m) == nil {
					a.msgs = append(a.msgs, m)
				}
			}
		}
	} else if len(bytes.TrimSpace(raw)) > 0 {
		var one map[string]any
		var many []map[string]any
		if json.Unmarshal(raw, &one) == nil {
			a.msgs = []map[string]any{one}
		} else if json.Unmarshal(raw, &many) == nil {
			a.msgs = many
		}
	}
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" && s.session == "" {
		s.session = sid
	}
	return a
}

func (s *mcpSession) initialize() {
	s.t.Helper()
	a := s.post(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"` + s.revision() + `","capabilities":{},"clientInfo":{"name":"policy-test","version":"1"}}}`)
	if a.status != http.StatusOK || s.session == "" {
		s.t.Fatalf("initialize: got %d session %q", a.status, s.session)
	}
	s.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

// response returns the answer to id among a's messages.
func (a rpcAnswer) response(t *testing.T, id float64) map[string]any {
	t.Helper()
	for _, m := range a.msgs {
		if m["id"] == id {
			return m
		}
	}
	t.Fatalf("no answer with id %v in %d %v", id, a.status, a.msgs)
	return nil
}

func names(t *testing.T, m map[string]any, list, key string) []string {
	t.Helper()
	result, _ := m["result"].(map[string]any)
	items, _ := result[list].([]any)
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it.(map[string]any)[key]))
	}
	return out
}

// deniedWith checks a -32001 answer for id naming what was refused.
func deniedWith(t *testing.T, a rpcAnswer, id float64, permission string) {
	t.Helper()
	m := a.response(t, id)
	e, _ := m["error"].(map[string]any)
	data, _ := e["data"].(map[string]any)
	if e == nil || e["code"] != float64(-32001) || data["required_permission"] != permission {
		t.Errorf("got %v, want error -32001 with required_permission %q", m, permission)
	}
}

// eventStream is an open GET stream of an MCP session.
type eventStream struct {
	resp *http.Response
	errs chan error
}

func openStream(t *testing.T, s *mcpSession) *eventStream {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", s.session)
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: %v %v", err, resp)
	}
	es := &eventStream{resp: resp, errs: make(chan error, 1)}
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		es.errs <- fmt.Errorf("stream ended: %v", err)
	}()
	return es
}

func (es *eventStream) stillOpen() error {
	select {
	case err := <-es.errs:
		return err
	case <-time.After(200 * time.Millisecond):
		return nil
	}
}

func (es *eventStream) Close() { es.resp.Body.Close() }

// reload sends SIGHUP and waits for mcpgate to log want.
func reload(t *testing.T, s *stack, want string) {
	t.Helper()
	before := strings.Count(s.gw.out.String(), want)
	if err := syscall.Kill(s.gw.cmd.Process.Pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.gw.out.String(), want) == before {
		if time.Now().After(deadline) {
			t.Fatalf("mcpgate did not log %q after SIGHUP", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkAuditLog: one line per request with the documented fields, and no
// token, code or secret in it.
func checkAuditLog(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if redact(string(raw)) != string(raw) {
		t.Error("the audit log holds a token, code or secret")
	}
	var calls, denies, signins, stepUps int
	for sc := bufio.NewScanner(bytes.NewReader(raw)); sc.Scan(); {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"time", "event", "sub", "decision"} {
			if rec[k] == nil {
				t.Errorf("audit line %s: no %s", sc.Text(), k)
			}
		}
		switch {
		case rec["event"] == "signin":
			signins++
		case rec["method"] == "tools/call":
			calls++
			if rec["request_id"] == nil || rec["client_id"] == nil || rec["target"] == nil || rec["email"] == nil {
				t.Errorf("audit line %s: want request_id, client_id, email and target", sc.Text())
			}
			if rec["decision"] == "allow" && (rec["status"] == nil || rec["latency_ms"] == nil || rec["rule"] == nil) {
				t.Errorf("audit line %s: want status, latency and rule for a forwarded call", sc.Text())
			}
		}
		switch rec["decision"] {
		case "deny":
			denies++
		case "step_up":
			stepUps++
		}
		if strings.Contains(sc.Text(), "arguments") {
			t.Errorf("audit line %s holds call arguments", sc.Text())
		}
	}
	if calls < 8 || denies < 6 || signins != 6 || stepUps != 2 {
		t.Errorf("got %d tool calls, %d denials, %d sign-ins, %d step-ups audited; want at least 8 and 6, and exactly 6 (5 admitted, 1 refused) and 2 (one per step-up test)", calls, denies, signins, stepUps)
	}
}

// testGoSDKStepUp: the go-sdk client signs in with mcp only (its scope
// filter drops the rest the first time), calls a tool that needs
// mcp:write, meets the 403 insufficient_scope challenge, re-authorizes
// for the scopes it names, and the call succeeds.
func testGoSDKStepUp(t *testing.T, s *stack) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var filtered atomic.Int32
	sdk := newGoSDKAuth(t, "mcpgate interop: go-sdk step-up", "http://127.0.0.1:7777/go-sdk-step-up/callback", func(discovered []string) []string {
		if filtered.Add(1) == 1 {
			return []string{"mcp"}
		}
		return discovered
	})
	h := sdk.handler
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-interop-go-sdk-step-up", Version: "1.0.0"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: s.resource(), OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect: %v", redact(err.Error()))
	}
	defer session.Close()
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "json_schema_2020_12_tool", Arguments: map[string]any{}})
	if err != nil {
		t.Fatalf("tools/call after step-up: %v", redact(err.Error()))
	}
	if res == nil {
		t.Fatal("tools/call: no result")
	}
	if n := sdk.fetched.Load(); n != 2 {
		t.Errorf("authorization code fetched %d times, want 2 (sign-in, step-up)", n)
	}
	if asked := sdk.asked; len(asked) != 2 || asked[0] != "mcp" || !strings.Contains(asked[1], "mcp:write") {
		t.Errorf("scopes asked: %q, want mcp, then the step-up's mcp:write", asked)
	}
	tok := sdk.token(ctx, t)
	if got := claimsOf(t, tok.AccessToken).Scope; !strings.Contains(got, "mcp:write") {
		t.Errorf("token after step-up: scope %q, want mcp:write in it", got)
	}
}
