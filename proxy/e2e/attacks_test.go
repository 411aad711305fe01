package e2e_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// The attacks of docs/security.md that earlier tests did not send. Each
// is sent the way an attacker would (raw bytes on a connection where the
// HTTP client library would tidy them) to mcpgate served as `mcpgate
// serve` serves it (app.Serve: its limits and timeouts).

// countingBackend counts what reaches it, by path.
type countingBackend struct {
	mu    sync.Mutex
	paths []string
}

func (b *countingBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	b.mu.Lock()
	b.paths = append(b.paths, r.Method+" "+r.URL.RawPath+"|"+r.URL.Path)
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
}

// startCountingBackend serves a countingBackend until the test ends and
// returns it with its MCP URL.
func startCountingBackend(t *testing.T) (*countingBackend, string) {
	t.Helper()
	b := &countingBackend{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: b}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return b, "http://" + ln.Addr().String() + "/mcp"
}

func (b *countingBackend) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.paths
	b.paths = nil
	return out
}

// rawAnswers writes request bytes on a new connection to addr and reads
// every answer until the server closes the connection or goes quiet.
func rawAnswers(t *testing.T, addr, request string) []*http.Response {
	t.Helper()
	br := rawSend(t, addr, request, 3*time.Second)
	var out []*http.Response
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return out
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out = append(out, resp)
	}
}

// rawSend writes request as it is on a new connection, closed when the
// test ends, and returns the reader of its answers, bounded by wait.
func rawSend(t *testing.T, addr, request string, wait time.Duration) *bufio.Reader {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	return bufio.NewReader(c)
}

// TestRequestSmuggling: a request whose length two parsers could read
// differently (Content-Length beside Transfer-Encoding, two
// Content-Lengths that disagree, a folded Transfer-Encoding, one not
// ending in chunked) gets one answer, a refusal or the answer to the
// chunked reading, and then the connection is closed: the request hidden
// after it is never read, and never reaches the backend.
func TestRequestSmuggling(t *testing.T) {
	backend, backendURL := startCountingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Backend.URL = backendURL }})
	token := g.accessToken(t)
	addr := serveApp(t, g).Addr().String()
	host := strings.TrimPrefix(g.URL, "http://")
	hidden := "GET /mcp HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + token + "\r\n\r\n"
	tests := []struct {
		name    string
		headers string
		body    string
	}{
		{name: "Content-Length and Transfer-Encoding", headers: "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n" + hidden},
		{name: "two Content-Lengths", headers: "Content-Length: 4\r\nContent-Length: 40\r\n", body: "{}\r\n" + hidden},
		{name: "Transfer-Encoding not chunked last", headers: "Transfer-Encoding: chunked, identity\r\n", body: "0\r\n\r\n" + hidden},
		{name: "obsolete line folding", headers: "Transfer-Encoding:\r\n chunked\r\nContent-Length: 4\r\n", body: "0\r\n\r\n" + hidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend.take()
			req := "POST /mcp HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + token +
				"\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" + tt.headers + "\r\n" + tt.body
			resps := rawAnswers(t, addr, req)
			if len(resps) != 1 {
				t.Fatalf("answers %v, want exactly one and the connection closed", statusOf(resps))
			}
			for _, sent := range backend.take() {
				if strings.HasPrefix(sent, "GET") {
					t.Errorf("the hidden request reached the backend: %s", sent)
				}
			}
		})
	}
}

// TestPathTricks: paths that resolve, decode or prefix their way toward
// another route reach no backend and no other route: mcpgate routes on
// the path as sent, and a token for one backend is good at that
// backend's exact path only.
func TestPathTricks(t *testing.T) {
	main, mainURL := startCountingBackend(t)
	files, filesURL := startCountingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = mainURL
		c.Backends = []config.NamedBackend{{Name: "files", URL: filesURL}}
	}})
	token := g.accessToken(t) // for the default backend at /mcp
	addr := serveApp(t, g).Addr().String()
	host := strings.TrimPrefix(g.URL, "http://")
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	send := func(path string) int {
		req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			path, host, token, len(body), body)
		resps := rawAnswers(t, addr, req)
		if len(resps) != 1 {
			t.Fatalf("%s: %d answers", path, len(resps))
		}
		return resps[0].StatusCode
	}
	if got := send("/mcp"); got != http.StatusOK {
		t.Fatalf("the token at its own path: %d", got)
	}
	main.take()
	for _, path := range []string{
		"/mcp/", "//mcp", "/mcp/.", "/./mcp", "/mcp/files/..", "/mcp/files/../", "/x/../mcp",
		"/mcp/files", "/mcp%2Ffiles", "/mcp/files%2F..", "/mcp/%2e%2e/mcp", "/mcpx", "/MCP", "/mcp;x", "/mcp%00",
	} {
		t.Run(path, func(t *testing.T) {
			status := send(path)
			if status == http.StatusOK {
				t.Errorf("%s: 200", path)
			}
			if sent := append(main.take(), files.take()...); len(sent) != 0 { // any method
				t.Errorf("%s: %d reached a backend (%v)", path, status, sent)
			}
		})
	}
}

// TestOversizedHeaders: headers past limits.max_header_bytes are answered
// 431 before any handler runs.
func TestOversizedHeaders(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Limits.MaxHeaderBytes = 8 << 10 }})
	addr := serveApp(t, g).Addr().String()
	host := strings.TrimPrefix(g.URL, "http://")
	for _, tt := range []struct {
		name   string
		header string
	}{
		{name: "one long header", header: "X-Filler: " + strings.Repeat("a", 16<<10) + "\r\n"},
		{name: "many headers", header: strings.Repeat("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 500)},
		{name: "a huge cookie", header: "Cookie: mcpgate_session=" + strings.Repeat("z", 16<<10) + "\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resps := rawAnswers(t, addr, "GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: "+host+"\r\n"+tt.header+"\r\n")
			if len(resps) != 1 || resps[0].StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Fatalf("got %d answers (first %v), want one 431", len(resps), statusOf(resps))
			}
		})
	}
	if resps := rawAnswers(t, addr, "GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n"); len(resps) != 1 || resps[0].StatusCode != http.StatusOK {
		t.Fatalf("a normal request after: %v", statusOf(resps))
	}
}

func statusOf(resps []*http.Response) []int {
	var out []int
	for _, r := range resps {
		out = append(out, r.StatusCode)
	}
	return out
}

// TestCompressedRequestBodies: mcpgate does not inflate request bodies. A
// gzip body at /mcp, with policy rules in force, is not JSON to the
// policy and is refused (a denied call cannot hide in it); a compression
// bomb costs its compressed size only; at /token a gzip form is no form.
func TestCompressedRequestBodies(t *testing.T) {
	backend, backendURL := startCountingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = backendURL
		c.Policy.Rules = []config.Rule{{Name: "no-exec", Allow: config.Permissions{Tools: []string{"*"}}, Deny: config.Permissions{Tools: []string{"system_exec"}}}}
	}})
	token := g.accessToken(t)
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	denied := gz([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"system_exec"}}`))
	bomb := gz(bytes.Repeat([]byte(" "), 64<<20)) // 64 MiB of spaces, ~64 KiB compressed
	for _, tt := range []struct {
		name string
		body []byte
	}{{"denied call in gzip", denied}, {"compression bomb", bomb}} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, g.resource(), bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Content-Encoding", "gzip")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Authorization", "Bearer "+token)
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("got %d %s, want a 4xx refusal", resp.StatusCode, body)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v: the body was inflated", d)
			}
			if sent := backend.take(); len(sent) != 0 {
				t.Errorf("the backend received %v", sent)
			}
		})
	}
	form := gz([]byte(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/token", bytes.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnsupportedMediaType && resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/token with a gzip form: %d %s, want 400, 401 or 415", resp.StatusCode, body)
	}
}

// TestLoginCookieFixation: a browser cookie an attacker obtained and
// planted in the victim's browser is worth nothing after the victim signs
// in: the sign-in writes a new cookie, and the planted one does not open
// the victim's account page.
func TestLoginCookieFixation(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	attacker := newBrowser(t)
	// The attacker's own browser cookie, from the start of a sign-in.
	readBody(t, attacker.get(g.URL+"/account/signin"))
	planted := attacker.client.Jar.Cookies(mustURL(t, g.URL))
	if len(planted) == 0 {
		t.Fatal("mcpgate set the attacker no cookie to plant")
	}
	victim := newBrowser(t)
	victim.client.Jar.SetCookies(mustURL(t, g.URL), planted)
	g.accountSignIn(t, victim)
	after := victim.client.Jar.Cookies(mustURL(t, g.URL))
	for _, p := range planted {
		for _, a := range after {
			if a.Name == p.Name && a.Value == p.Value {
				t.Errorf("cookie %s kept the planted value across the sign-in", a.Name)
			}
		}
	}
	page := readBody(t, attacker.get(g.URL+"/account"))
	if strings.Contains(page, g.IdP.Email) {
		t.Errorf("the planted cookie opens the victim's account page")
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestRefreshForAnotherBackend: a refresh token of a grant for one
// backend cannot be turned into an access token for another (RFC 8707:
// the resource of a refresh stays within the grant's).
func TestRefreshForAnotherBackend(t *testing.T) {
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backends = []config.NamedBackend{{Name: "files", URL: "http://127.0.0.1:1/mcp"}}
	}})
	c := g.registerPublic(t)
	tokens := g.exchange(t, c, g.code(t, c))
	if tokens.RefreshToken == "" {
		t.Fatalf("sign-in: %d %s", tokens.Status, tokens.Error)
	}
	res := g.tokenRequest(t, c, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {tokens.RefreshToken},
		"resource":      {g.URL + "/mcp/files"},
	})
	if res.Status != http.StatusBadRequest || res.Error != "invalid_target" || res.AccessToken != "" {
		t.Fatalf("refresh for the other backend: %d %q (token %v), want 400 invalid_target and no token", res.Status, res.Error, res.AccessToken != "")
	}
	if again := g.refresh(t, c, tokens.RefreshToken); again.AccessToken == "" {
		t.Errorf("the refresh token after the refused attempt: %d %q, want it still good", again.Status, again.Error)
	}
}

// TestDuplicateAuthorizationHeaders: two Authorization headers, sent raw,
// are refused with invalid_request (RFC 6750 §3.1) at every endpoint that
// reads one, whichever comes first, and nothing reaches the backend: a
// proxy in front reading the other header would act for someone else.
func TestDuplicateAuthorizationHeaders(t *testing.T) {
	backend, backendURL := startCountingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Backend.URL = backendURL }})
	token := g.accessToken(t)
	addr := serveApp(t, g).Addr().String()
	host := strings.TrimPrefix(g.URL, "http://")
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("someone:secret"))
	mcpBody := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	tests := []struct {
		name, method, path, contentType, body string
		first, second                         string
		wantBody                              string
	}{
		{name: "mcp: good token first", method: "POST", path: "/mcp", contentType: "application/json", body: mcpBody,
			first: "Bearer " + token, second: "Bearer junk", wantBody: `"code":-32600`},
		{name: "mcp: good token second", method: "POST", path: "/mcp", contentType: "application/json", body: mcpBody,
			first: "Bearer junk", second: "Bearer " + token, wantBody: `"code":-32600`},
		{name: "mcp: the same token twice", method: "POST", path: "/mcp", contentType: "application/json", body: mcpBody,
			first: "Bearer " + token, second: "Bearer " + token, wantBody: `"code":-32600`},
		{name: "token: two Basic headers", method: "POST", path: "/token", contentType: "application/x-www-form-urlencoded",
			body: "grant_type=refresh_token&refresh_token=x", first: basic, second: basic, wantBody: `"error":"invalid_request"`},
		{name: "register: two initial access tokens", method: "POST", path: "/register", contentType: "application/json",
			body: `{"redirect_uris":["http://127.0.0.1:1/cb"]}`, first: "Bearer a", second: "Bearer b", wantBody: `"error":"invalid_request"`},
		{name: "account API", method: "GET", path: "/account/api/clients", first: "Bearer " + token, second: "Bearer " + token,
			wantBody: `"error":"invalid_request"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend.take()
			req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nAuthorization: %s\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\n",
				tt.method, tt.path, host, tt.first, tt.second)
			if tt.body != "" {
				req += fmt.Sprintf("Content-Type: %s\r\nContent-Length: %d\r\n", tt.contentType, len(tt.body))
			}
			resp, body := rawAnswer(t, addr, req+"\r\n"+tt.body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.wantBody) {
				t.Errorf("got %d %s, want 400 with %s", resp.StatusCode, body, tt.wantBody)
			}
			if tt.path == "/mcp" && !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_request"`) {
				t.Errorf("WWW-Authenticate %q, want error=\"invalid_request\"", resp.Header.Get("WWW-Authenticate"))
			}
			if sent := backend.take(); len(sent) != 0 {
				t.Errorf("%d request(s) reached the backend", len(sent))
			}
		})
	}
}

// rawAnswer sends request as written and reads one answer and its body.
func rawAnswer(t *testing.T, addr, request string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(rawSend(t, addr, request, 5*time.Second), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// assertFramingRefused checks the headers that keep a page out of frames
// (clickjacking, RFC 9700 §4.16): X-Frame-Options for old browsers, CSP
// frame-ancestors for the rest.
func assertFramingRefused(t *testing.T, page string, h http.Header) {
	t.Helper()
	if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("%s may be framed: X-Frame-Options %q, Content-Security-Policy %q", page, h.Get("X-Frame-Options"), h.Get("Content-Security-Policy"))
	}
}
