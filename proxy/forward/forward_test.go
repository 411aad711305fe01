package forward

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/proxy/principal"
)

func TestJoinGroups(t *testing.T) {
	tests := []struct {
		name   string
		groups []string
		want   string
	}{
		{name: "none", want: ""},
		{name: "plain", groups: []string{"eng", "ops"}, want: "eng,ops"},
		{name: "comma would split a group", groups: []string{"eng", "a,b"}, want: "eng"},
		{name: "control characters", groups: []string{"ok", "bad\r\nX-Injected: 1", ""}, want: "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := joinGroups(tt.groups); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestForwardHeaders: configured identity header names replace whatever
// the client sent under them, the request goes to exactly the backend URL
// with the client's query, and an identity value that a header cannot
// carry is left out rather than sent mangled.
func TestForwardHeaders(t *testing.T) {
	var got *http.Request
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		io.WriteString(w, "ok")
	}))
	defer backend.Close()
	u, _ := url.Parse(backend.URL + "/v1/mcp")
	f, err := New(Options{Backend: u, Headers: HeaderNames{User: "X-Caller", Email: "X-Caller-Email", Name: "X-Caller-Name"}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "http://gate.example.com/mcp?x=1", strings.NewReader("{}"))
	req.Header.Set("X-Caller", "spoofed")
	req.Header.Set("Authorization", "Bearer client-token")
	rec := httptest.NewRecorder()
	f.Forward(rec, req, &Identity{Principal: &principal.Principal{Subject: "alice", Email: "alice@example.com", Name: "Eve\nX-Evil: 1"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if got.URL.Path != "/v1/mcp" || got.URL.RawQuery != "x=1" {
		t.Errorf("backend got %s?%s, want /v1/mcp?x=1", got.URL.Path, got.URL.RawQuery)
	}
	if v := got.Header.Values("X-Caller"); len(v) != 1 || v[0] != "alice" {
		t.Errorf("X-Caller: got %q, want only alice", v)
	}
	if got.Header.Get("Authorization") != "" || got.Header.Get("X-Caller-Name") != "" {
		t.Errorf("Authorization %q, X-Caller-Name %q: want both absent", got.Header.Get("Authorization"), got.Header.Get("X-Caller-Name"))
	}
	if _, err := New(Options{Backend: &url.URL{Scheme: "ftp", Host: "x"}}); err == nil {
		t.Error("an ftp backend was accepted")
	}
}

func TestHeaderFilter(t *testing.T) {
	f := newHeaderFilter([]string{"X-Caller", "X-Mcpgate-Assertion"}, []string{"X-Tenant", "X-Internal-*"})
	tests := []struct {
		name  string
		drops bool
	}{
		{"X-Caller", true},
		{"x-caller", true},
		{"X_Caller", true},
		{"X_forwarded_user", true},
		{"X-Forwarded-Groups", true},
		{"X-Forwarded-For", true},
		{"X-Mcpgate-Assertion", true},
		{"X-Auth-Request-Email", true},
		{"Remote-User", true},
		{"Remote_Groups", true},
		{"X-User-Email", true},
		{"X-User", true},
		{"X-Real-Ip", true},
		{"True-Client-Ip", true},
		{"Cf-Access-Authenticated-User-Email", true},
		{"X-Ms-Client-Principal-Name", true},
		{"X-Goog-Authenticated-User-Email", true},
		{"X-Amzn-Oidc-Identity", true},
		{"X-Webauth-User", true},
		{"Authorization", true},
		{"Cookie", true},
		{"X-Tenant", true},
		{"X_tenant", true},
		{"X-Internal-Role", true},
		{"X-" + strings.Repeat("Forwarded-", 8) + "User", true}, // longer than the stack buffer
		{"Content-Type", false},
		{"Accept", false},
		{"Mcp-Session-Id", false},
		{"Mcp-Protocol-Version", false},
		{"Mcp-Method", false},
		{"Mcp-Param-Region", false},
		{"Last-Event-Id", false},
		{"User-Agent", false},
		{"Traceparent", false},
		{"X-Tenantx", false},
		{"X-Internal", false},
		{"X-Username-Hint", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.drops(tt.name); got != tt.drops {
				t.Fatalf("drops(%q): got %v, want %v", tt.name, got, tt.drops)
			}
		})
	}
}

func BenchmarkHeaderFilter(b *testing.B) {
	f := newHeaderFilter([]string{"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups"}, nil)
	h := http.Header{}
	for _, name := range []string{"Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version", "User-Agent", "Content-Length", "Accept-Encoding"} {
		h.Set(name, "v")
	}
	b.ReportAllocs()
	for b.Loop() {
		f.strip(h)
	}
}

// BenchmarkRewrite is the per-request header work: what a typical MCP
// client sends, made into what the backend receives.
func BenchmarkRewrite(b *testing.B) {
	u, _ := url.Parse("http://backend.internal/mcp")
	f, err := New(Options{Backend: u, PublicHost: "gate.example.com",
		Headers: HeaderNames{User: "X-Forwarded-User", Email: "X-Forwarded-Email", Groups: "X-Forwarded-Groups", ClientID: "X-Forwarded-Client-Id"}})
	if err != nil {
		b.Fatal(err)
	}
	in := httptest.NewRequest(http.MethodPost, "http://gate.example.com/mcp", strings.NewReader("{}"))
	for _, name := range []string{"Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version", "User-Agent", "Accept-Encoding", "Authorization"} {
		in.Header.Set(name, "v")
	}
	id := &Identity{Principal: &principal.Principal{Subject: "alice", Email: "alice@example.com", Groups: []string{"eng"}, ClientID: "c1"}}
	in = in.WithContext(&forwarding{Context: in.Context(), identity: id})
	b.ReportAllocs()
	for b.Loop() {
		out := in.Clone(in.Context())
		f.rewrite(&httputil.ProxyRequest{In: in, Out: out})
	}
}
