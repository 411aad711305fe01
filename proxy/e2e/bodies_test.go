package e2e_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/config"
)

// bodyEndpoint is an endpoint of mcpgate that may be sent a body.
type bodyEndpoint struct {
	name, method, path string
	// bearer adds a valid access token (the MCP endpoint).
	bearer bool
	// format is how the endpoint answers: "page", "oauth" or "jsonrpc".
	format string
}

func bodyEndpoints() []bodyEndpoint {
	return []bodyEndpoint{
		{name: "authorize", method: http.MethodPost, path: "/authorize", format: "page"},
		{name: "consent", method: http.MethodPost, path: "/consent", format: "page"},
		{name: "callback", method: http.MethodGet, path: "/oauth/callback", format: "page"},
		{name: "token", method: http.MethodPost, path: "/token", format: "oauth"},
		{name: "revoke", method: http.MethodPost, path: "/revoke", format: "oauth"},
		{name: "register", method: http.MethodPost, path: "/register", format: "oauth"},
		{name: "mcp", method: http.MethodPost, path: "/mcp", bearer: true, format: "jsonrpc"},
	}
}

// rawExchange sends head, then body from a goroutine (so that a server
// answering before the body is in cannot deadlock the test), and reads the
// answer; the write's own error is ignored, since the server may close
// the connection early on purpose.
func rawExchange(t *testing.T, addr, head string, body io.Reader, timeout time.Duration) (*http.Response, string, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetDeadline(start.Add(timeout))
	go func() {
		if _, err := io.WriteString(conn, head); err == nil && body != nil {
			io.Copy(conn, body)
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", timeout, err)
	}
	text, _ := io.ReadAll(resp.Body)
	return resp, string(text), time.Since(start)
}

func requestHead(e bodyEndpoint, host, token, contentType string, length int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n", e.method, e.path, host, contentType, length)
	if e.bearer {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", token)
	}
	b.WriteString("\r\n")
	return b.String()
}

// checkFormat checks that an answer has the endpoint's error form.
func checkFormat(t *testing.T, e bodyEndpoint, resp *http.Response, text string) {
	t.Helper()
	ct := resp.Header.Get("Content-Type")
	switch e.format {
	case "page":
		if !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type %q, want an HTML page", ct)
		}
	case "oauth":
		if !strings.Contains(text, `"error":"invalid_request"`) {
			t.Errorf("body %q, want an OAuth invalid_request error", text)
		}
	case "jsonrpc":
		if !strings.Contains(text, `"jsonrpc":"2.0"`) || !strings.Contains(text, `"error"`) {
			t.Errorf("body %q, want a JSON-RPC error", text)
		}
	}
}

func boundedGateway(t *testing.T) (*gateway, string) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL+"/mcp", func(c *config.Config) {
		c.Limits.MCPBodyBytes = 4096
		c.Limits.BodyReadTimeout = time.Second
	})})
	return g, g.accessToken(t)
}

// TestOversizedBodiesRefused: a body over the endpoint's limit gets 413 in
// the endpoint's own error form, before it is read.
func TestOversizedBodiesRefused(t *testing.T) {
	g, token := boundedGateway(t)
	host := strings.TrimPrefix(g.URL, "http://")
	for _, e := range bodyEndpoints() {
		t.Run(e.name, func(t *testing.T) {
			size := int64(100 << 10) // over the OAuth endpoints' 64 KiB
			if e.bearer {
				size = 8192 // over limits.mcp_body_bytes
			}
			ct := "application/x-www-form-urlencoded"
			if e.name == "register" || e.name == "mcp" {
				ct = "application/json"
			}
			resp, text, _ := rawExchange(t, host, requestHead(e, host, token, ct, size), bytes.NewReader(bytes.Repeat([]byte("a"), int(size))), 10*time.Second)
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("got %d %q, want 413", resp.StatusCode, text)
			}
			checkFormat(t, e, resp, text)
		})
	}
	t.Run("mcp within limit is forwarded", func(t *testing.T) {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"` + strings.Repeat("x", 3000) + `"}}`
		req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if text := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d %q, want 200", resp.StatusCode, text)
		}
	})
	t.Run("chunked mcp body over the limit", func(t *testing.T) {
		e := bodyEndpoints()[6]
		head := fmt.Sprintf("POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer %s\r\n\r\n", host, token)
		chunk := strings.Repeat("y", 1000)
		var body strings.Builder
		for range 8 {
			fmt.Fprintf(&body, "%x\r\n%s\r\n", len(chunk), chunk)
		}
		body.WriteString("0\r\n\r\n")
		resp, text, _ := rawExchange(t, host, head, strings.NewReader(body.String()), 10*time.Second)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d %q, want 413", resp.StatusCode, text)
		}
		checkFormat(t, e, resp, text)
	})
}

// TestMultipartBodiesRefused: no endpoint takes multipart/form-data; each
// answers 415 without parsing the body.
func TestMultipartBodiesRefused(t *testing.T) {
	g, token := boundedGateway(t)
	host := strings.TrimPrefix(g.URL, "http://")
	for _, e := range bodyEndpoints() {
		t.Run(e.name, func(t *testing.T) {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			w.WriteField("client_id", "x")
			w.Close()
			resp, text, _ := rawExchange(t, host, requestHead(e, host, token, w.FormDataContentType(), int64(body.Len())), &body, 10*time.Second)
			if resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Fatalf("got %d %q, want 415", resp.StatusCode, text)
			}
			checkFormat(t, e, resp, text)
		})
	}
}

// TestLargeMultipartLeavesNoTempFiles: a 40 MiB multipart form, which
// net/http would spill to disk past 32 MiB, leaves nothing in the
// temporary directory. Not parallel: it points TMPDIR at its own folder.
func TestLargeMultipartLeavesNoTempFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	g, token := boundedGateway(t)
	host := strings.TrimPrefix(g.URL, "http://")
	for _, e := range bodyEndpoints()[:2] { // authorize and consent read forms
		t.Run(e.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			w := multipart.NewWriter(pw)
			go func() {
				part, err := w.CreateFormFile("file", "big.bin")
				if err != nil {
					// mcpgate answered and the pipe was closed before the
					// form began: nothing left to send.
					pw.CloseWithError(err)
					return
				}
				chunk := bytes.Repeat([]byte("z"), 1<<20)
				for range 40 {
					if _, err := part.Write(chunk); err != nil {
						break
					}
				}
				w.Close()
				pw.Close()
			}()
			head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n", e.method, e.path, host, w.FormDataContentType())
			resp, text, _ := rawExchange(t, host, head, chunked(pr), 60*time.Second)
			pr.CloseWithError(io.ErrClosedPipe)
			if resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("got %d %q, want 415", resp.StatusCode, text)
			}
			time.Sleep(200 * time.Millisecond) // let a handler that parsed it finish
			entries, _ := os.ReadDir(tmp)
			for _, f := range entries {
				t.Errorf("temporary file left behind: %s", f.Name())
			}
		})
	}
	_ = token
}

// chunked encodes r as an HTTP/1.1 chunked body.
func chunked(r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if _, werr := fmt.Fprintf(pw, "%x\r\n%s\r\n", n, buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				io.WriteString(pw, "0\r\n\r\n")
				pw.Close()
				return
			}
		}
	}()
	return pr
}

// trickle sends body one byte every interval.
type trickle struct {
	body     string
	interval time.Duration
}

func (tr *trickle) Read(p []byte) (int, error) {
	if tr.body == "" {
		return 0, io.EOF
	}
	time.Sleep(tr.interval)
	p[0] = tr.body[0]
	tr.body = tr.body[1:]
	return 1, nil
}

// TestSlowBodiesCutOff: a body trickled a byte every 300 ms is cut off at
// limits.body_read_timeout (1 s here) with 408 on every endpoint, instead
// of holding the connection for the 15 s it would take.
func TestSlowBodiesCutOff(t *testing.T) {
	g, token := boundedGateway(t)
	host := strings.TrimPrefix(g.URL, "http://")
	for _, e := range bodyEndpoints() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			body := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {strings.Repeat("r", 40)}}.Encode()
			ct := "application/x-www-form-urlencoded"
			if e.name == "register" || e.name == "mcp" {
				body, ct = `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"p":"`+strings.Repeat("p", 20)+`"}}`, "application/json"
			}
			resp, text, took := rawExchange(t, host, requestHead(e, host, token, ct, int64(len(body))), &trickle{body: body, interval: 300 * time.Millisecond}, 6*time.Second)
			if e.method == http.MethodGet {
				// The callback reads no body: it answers at once, and the
				// deadline bounds net/http's discarding of the rest.
				if took > 3*time.Second {
					t.Errorf("answered after %v, want at once", took)
				}
				return
			}
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("got %d %q after %v, want 408", resp.StatusCode, text, took)
			}
			if took > 3*time.Second {
				t.Errorf("answered after %v, want about 1 s", took)
			}
			checkFormat(t, e, resp, text)
		})
	}
}
