package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/mcpgate/mcpgate/config"
)

// The endpoint fuzz targets send hostile requests to a whole mcpgate (the
// app as `mcpgate serve` wires it, a real upstream OpenID provider, the
// memory store) straight into its handler, and check what every answer
// must be, whatever the input:
//
//   - no 500: every input is answered by a check, not by a failure;
//   - no secret, token or stack trace in the answer;
//   - an error is OAuth JSON, a JSON-RPC error or an HTML page, and
//     every HTML page refuses to be framed (clickjacking);
//   - at /mcp, no call the policy denies reaches the backend.
//
// `go test` runs the seeds; .ci/fuzz runs each target for a bounded time
// with -fuzz; FUZZTIME=10m .ci/fuzz runs them longer.

// deniedTool is denied to everyone by the fuzz gateway's policy.
const deniedTool = "system_exec"

type fuzzGateway struct {
	*gateway
	client  client
	token   string
	backend *bodyRecorder
	secrets []string // must never appear in an answer
}

// bodyRecorder is a backend that keeps every body it is sent.
type bodyRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func (b *bodyRecorder) take() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.bodies
	b.bodies = nil
	return out
}

func startFuzzGateway(f *testing.F) *fuzzGateway {
	f.Helper()
	backend := &bodyRecorder{}
	backend.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		backend.mu.Lock()
		backend.bodies = append(backend.bodies, body)
		backend.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"},{"name":"system_exec"}]}}`)
	}))
	f.Cleanup(backend.Close)
	g := startGateway(f, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL + "/mcp"
		// The limits would answer most of a fuzzer's requests with 429
		// and hide the parsers behind them.
		c.Limits.TokenRateLimit, c.Limits.AuthorizeRateLimit, c.Registration.RateLimit = 0, 0, 0
		c.Policy.Rules = []config.Rule{{Name: "all-but-exec", Allow: config.Permissions{Tools: []string{"*"}, Resources: []string{"file:///*"}, Prompts: []string{"*"}},
			Deny: config.Permissions{Tools: []string{deniedTool}}}}
	}})
	c := g.registerPublic(f)
	res := g.exchange(f, c, g.code(f, c))
	if res.AccessToken == "" {
		f.Fatalf("no token: %d %s", res.Status, res.Error)
	}
	backend.take()
	return &fuzzGateway{gateway: g, client: c, token: res.AccessToken, backend: backend,
		secrets: []string{upstreamClientSecret, res.AccessToken, res.RefreshToken, c.Verifier}}
}

// serve sends r to mcpgate's handler and checks the answer.
func (g *fuzzGateway) serve(t *testing.T, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	r.RemoteAddr = "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	g.App.Handler.ServeHTTP(rec, r)
	body := rec.Body.String()
	if rec.Code >= 500 && rec.Code != http.StatusBadGateway && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("%s %s: status %d: %s", r.Method, r.URL.Path, rec.Code, body)
	}
	for _, s := range g.secrets {
		if s != "" && strings.Contains(body, s) {
			t.Fatalf("%s %s: the answer holds a secret or token: %s", r.Method, r.URL.Path, body)
		}
	}
	for _, trace := range []string{"goroutine ", "panic:", ".go:"} {
		if strings.Contains(body, trace) {
			t.Fatalf("%s %s: the answer looks like a stack trace: %s", r.Method, r.URL.Path, body)
		}
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") &&
		(rec.Header().Get("X-Frame-Options") != "DENY" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")) {
		t.Fatalf("%s %s: an HTML page that may be framed (X-Frame-Options %q, CSP %q)", r.Method, r.URL.Path,
			rec.Header().Get("X-Frame-Options"), rec.Header().Get("Content-Security-Policy"))
	}
	if rec.Code >= 400 && body != "" {
		ct := rec.Header().Get("Content-Type")
		switch {
		case strings.HasPrefix(ct, "application/json"):
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s: %d with invalid JSON: %s", r.Method, r.URL.Path, rec.Code, body)
			}
		case strings.HasPrefix(ct, "text/html"), strings.HasPrefix(ct, "text/plain"):
		default:
			t.Fatalf("%s %s: %d with Content-Type %q", r.Method, r.URL.Path, rec.Code, ct)
		}
	}
	return rec
}

// newRequest builds a request from fuzzed parts, as a client could send
// them; parts no real client could send (bytes net/http's server would
// refuse before any handler) are skipped.
func newRequest(t *testing.T, method, target, contentType, body string, header map[string]string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Skip()
	}
	r.Host = r.URL.Host
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		if v == "" {
			continue
		}
		if !validHeaderValue(v) {
			t.Skip()
		}
		r.Header.Set(k, v)
	}
	return r
}

// validHeaderValue is what net/http's server lets through in a value.
func validHeaderValue(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, c := range []byte(v) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func FuzzTokenEndpoint(f *testing.F) {
	g := startFuzzGateway(f)
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	f.Add(form("grant_type", "authorization_code", "code", "abc", "code_verifier", g.client.Verifier, "client_id", g.client.ID, "redirect_uri", g.client.RedirectURI), "", "application/x-www-form-urlencoded")
	f.Add(form("grant_type", "refresh_token", "refresh_token", "x", "client_id", g.client.ID, "resource", g.resource()), "", "application/x-www-form-urlencoded")
	f.Add(form("grant_type", "client_credentials", "scope", "mcp"), "Basic Y2xpZW50OnNlY3JldA==", "application/x-www-form-urlencoded")
	f.Add(form("grant_type", "client_credentials", "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."), "", "application/x-www-form-urlencoded")
	f.Add("grant_type=authorization_code&grant_type=refresh_token&code=%zz", "Basic %%%", "application/x-www-form-urlencoded; charset=utf-8")
	f.Add(`{"grant_type":"authorization_code"}`, "Bearer x", "application/json")
	f.Add("grant_type=refresh_token&refresh_token=a&resource=http://evil.example/mcp&client_id="+g.client.ID, "Basic "+strings.Repeat("A", 300), "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body, authorization, contentType string) {
		g.serve(t, newRequest(t, http.MethodPost, g.URL+"/token", contentType, body, map[string]string{"Authorization": authorization}))
	})
}

func FuzzRevokeEndpoint(f *testing.F) {
	g := startFuzzGateway(f)
	f.Add("token=abc&client_id="+g.client.ID, "", "application/x-www-form-urlencoded")
	f.Add("token=abc&token_type_hint=refresh_token", "Basic Og==", "application/x-www-form-urlencoded")
	f.Add("token="+strings.Repeat("x", 5000), "", "multipart/form-data; boundary=x")
	f.Fuzz(func(t *testing.T, body, authorization, contentType string) {
		g.serve(t, newRequest(t, http.MethodPost, g.URL+"/revoke", contentType, body, map[string]string{"Authorization": authorization}))
	})
}

func FuzzRegisterEndpoint(f *testing.F) {
	g := startFuzzGateway(f)
	f.Add(`{"client_name":"x","redirect_uris":["http://127.0.0.1:1/cb"],"token_endpoint_auth_method":"none"}`, "")
	f.Add(`{"redirect_uris":["https://evil.example/cb#frag"],"grant_types":["implicit"],"jwks":{"keys":[{}]}}`, "Bearer x")
	f.Add(`{"redirect_uris":"javascript:alert(1)","client_name":{"x":1},"scope":"a b\u0000c"}`, "")
	f.Add(`{"redirect_uris":["http://127.0.0.1:1/cb"],"logo_uri":"http://169.254.169.254/","jwks_uri":"file:///etc/passwd","software_statement":"e30.e30."}`, "")
	f.Add(`[`+strings.Repeat(`{"a":`, 100)+`]`, "")
	f.Fuzz(func(t *testing.T, body, authorization string) {
		g.serve(t, newRequest(t, http.MethodPost, g.URL+"/register", "application/json", body, map[string]string{"Authorization": authorization}))
	})
}

func FuzzAuthorizeEndpoint(f *testing.F) {
	g := startFuzzGateway(f)
	good := strings.TrimPrefix(g.authorizeURL(g.client, nil), g.URL+"/authorize?")
	f.Add(good, "")
	f.Add(good+"&redirect_uri=http://127.0.0.1:7777/callback/../x", "")
	f.Add(good+"&code_challenge_method=plain&prompt=none&request_uri=urn:x&request=e30.e30.", "mcpgate_session=garbage")
	f.Add("response_type=token&client_id=https://evil.example/client.json&redirect_uri=https://evil.example/", "mcpgate_session=a.b.c; mcpgate_flow=x")
	f.Add("client_id=%00&redirect_uri=%ZZ&scope="+strings.Repeat("mcp ", 200), "")
	f.Fuzz(func(t *testing.T, query, cookie string) {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			target, body, ct := g.URL+"/authorize?"+query, "", ""
			if method == http.MethodPost {
				target, body, ct = g.URL+"/authorize", query, "application/x-www-form-urlencoded"
			}
			g.serve(t, newRequest(t, method, target, ct, body, map[string]string{"Cookie": cookie}))
		}
	})
}

func FuzzCallbackEndpoint(f *testing.F) {
	g := startFuzzGateway(f)
	f.Add("code=abc&state=def.ghi&iss="+url.QueryEscape(g.IdP.Issuer()), "")
	f.Add("error=access_denied&error_description=%3Cscript%3E&state=x.y", "mcpgate_session=x")
	f.Add("code=a&code=b&state=.", "")
	f.Add("state="+strings.Repeat("a.", 2000), "mcpgate_session="+strings.Repeat("z", 3000))
	f.Fuzz(func(t *testing.T, query, cookie string) {
		g.serve(t, newRequest(t, http.MethodGet, g.URL+"/oauth/callback?"+query, "", "", map[string]string{"Cookie": cookie}))
	})
}

func FuzzConsentEndpoint(f *testing.F) {
	g := startFuzzGateway(f)
	f.Add("request=abc&csrf=def&action=approve", "mcpgate_session=x")
	f.Add("request=&csrf=&action=deny&scope=mcp", "")
	f.Fuzz(func(t *testing.T, body, cookie string) {
		g.serve(t, newRequest(t, http.MethodPost, g.URL+"/consent", "application/x-www-form-urlencoded", body, map[string]string{"Cookie": cookie, "Origin": g.URL}))
	})
}

// FuzzMCPEndpoint sends JSON-RPC bodies and MCP headers with a valid
// token: whatever the body, mcpgate answers in JSON-RPC or forwards, and
// no call of the denied tool reaches the backend in any form the backend
// would read as that call.
func FuzzMCPEndpoint(f *testing.F) {
	g := startFuzzGateway(f)
	call := func(id, tool string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
	}
	f.Add(call("1", "echo"), "", "")
	f.Add(call("2", deniedTool), "tools/call", deniedTool)
	f.Add("["+call("1", "echo")+","+call("2", deniedTool)+"]", "", "")
	f.Add(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"\u0073ystem_exec"}}`, "tools/call", "echo")
	f.Add(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","name":"system_exec"}}`, "", "")
	f.Add(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"NAME":"system_exec"}}`, "", "")
	f.Add(`{"jsonrpc":"2.0","id":4,"METHOD":"tools/call","params":{"name":"system_exec"}}`, "", "")
	f.Add(`{"jsonrpc":"2.0","id":4,"method":"tools/call","Params":{"name":"system_exec"}}`, "", "")
	f.Add(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"SYSTEM_EXEC"}}`, "", "")
	f.Add(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"ｓｙｓｔｅｍ＿ｅｘｅｃ"}}`, "tools/call", "ｓｙｓｔｅｍ＿ｅｘｅｃ")
	f.Add(`{"jsonrpc":"2.0","id":5,"method":"tools/list"}`, "", "")
	f.Add(`{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"file:///../etc/passwd"}}`, "resources/read", "")
	f.Add(`{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"system_exec"}}`, "", "")
	f.Fuzz(func(t *testing.T, body, mcpMethod, mcpName string) {
		r := newRequest(t, http.MethodPost, g.resource(), "application/json", body, map[string]string{
			"Authorization": "Bearer " + g.token, "Accept": "application/json, text/event-stream",
			"Mcp-Method": mcpMethod, "Mcp-Name": mcpName,
		})
		g.backend.take()
		g.serve(t, r)
		for _, sent := range g.backend.take() {
			if name, ok := deniedCall(sent); ok {
				t.Fatalf("the backend received a call of %q, which the policy denies: %s", name, sent)
			}
		}
	})
}

// deniedCall reports whether body, read as a backend's JSON decoder reads
// it (encoding/json: escapes decoded, names matched case-insensitively,
// the last of duplicate keys wins), holds a tools/call of the denied tool
// in any spelling a backend folding case or Unicode would take for it.
func deniedCall(body []byte) (string, bool) {
	type message struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	var batch []message
	var one message
	if json.Unmarshal(body, &batch) != nil {
		if json.Unmarshal(body, &one) != nil {
			return "", false
		}
		batch = []message{one}
	}
	for _, m := range batch {
		// Also what a backend folding case or Unicode would run.
		if m.Method == "tools/call" && strings.ToLower(norm.NFKC.String(m.Params.Name)) == deniedTool {
			return m.Params.Name, true
		}
	}
	return "", false
}
