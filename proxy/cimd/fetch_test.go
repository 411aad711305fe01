package cimd

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
)

func TestResolveValidDocument(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		serveJSON(w, r, validDoc)
	})
	clock := newFakeClock()
	r := mustNew(t, testOptions(ts, clock))
	id := ts.url("app.example.com", "/oauth/client.json")

	c := resolveOK(t, r, id)
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"ID", c.ID, id},
		{"Name", c.Name, "Example MCP Client"},
		{"LogoURI", c.LogoURI, "https://app.example.com/logo.png"},
		{"ClientURI", c.ClientURI, "https://app.example.com/"},
		{"RedirectURIs", c.RedirectURIs, []string{"https://app.example.com/callback", "http://127.0.0.1:33418/"}},
		{"GrantTypes", c.GrantTypes, []string{"authorization_code", "refresh_token"}},
		{"ResponseTypes", c.ResponseTypes, []string{"code"}},
		{"TokenEndpointAuthMethod", c.TokenEndpointAuthMethod, "none"},
		{"ApplicationType", c.ApplicationType, "web"},
		{"SecretHash", c.SecretHash, ""},
		{"Source", c.Source, oauth.SourceCIMD},
		{"CreatedAt", c.CreatedAt, clock.Now()},
		{"ExpiresAt", c.ExpiresAt, clock.Now().Add(time.Hour)},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: got %v, want %v", f.name, f.got, f.want)
		}
	}
}

// fetchCase is one server behaviour and the outcome Resolve must report.
type fetchCase struct {
	name     string
	handler  http.HandlerFunc
	wantKind string
	wantText string
	// slow cases get a short HTTPTimeout, the others a generous one.
	slow bool
	// wantRequests, when non-zero, is how many requests must reach the
	// server.
	wantRequests int64
}

// testMaxBytes is the MaxBytes of runFetchCases' resolvers.
const testMaxBytes = 2048

// runFetchCases resolves a client_id against a fresh server and resolver
// per case.
func runFetchCases(t *testing.T, tests []fetchCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.handler)
			opts := testOptions(ts, newFakeClock())
			opts.MaxBytes = testMaxBytes
			if tt.slow {
				opts.HTTPTimeout = 300 * time.Millisecond
			}
			start := time.Now()
			_, err := mustNew(t, opts).Resolve(context.Background(), ts.url("app.example.com", "/client.json"))
			checkErr(t, err, tt.wantKind, tt.wantText)
			if elapsed := time.Since(start); elapsed > opts.HTTPTimeout+time.Second {
				t.Errorf("Resolve took %v, want it bounded by HTTPTimeout (%v)", elapsed, opts.HTTPTimeout)
			}
			if tt.wantRequests != 0 {
				if got := ts.requests.Load(); got != tt.wantRequests {
					t.Errorf("requests reaching the server: got %d, want %d", got, tt.wantRequests)
				}
			}
		})
	}
}

// TestResolveFetch covers what the server answers: status, redirects,
// content type, size and time.
func TestResolveFetch(t *testing.T) {
	runFetchCases(t, []fetchCase{
		{
			name: "valid with charset parameter",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSONType(w, r, "application/json; charset=utf-8", validDoc)
			},
			wantKind: "nil",
		},
		{
			name: "minimal document: auth method absent means none",
			handler: func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, r, docWith(`"redirect_uris":["https://app.example.com/cb"]`))
			},
			wantKind: "nil",
		},
		{
			name: "document of exactly MaxBytes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				body := strings.ReplaceAll(validDoc, "{{self}}", selfURL(r))
				serveJSON(w, r, body+strings.Repeat(" ", testMaxBytes-len(body)))
			},
			wantKind: "nil",
		},
		// The server's answer.
		{
			name:     "404",
			handler:  func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			wantKind: "ErrFetchFailed", wantText: "HTTP 404",
		},
		{
			name:     "500",
			handler:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
			wantKind: "ErrFetchFailed", wantText: "HTTP 500",
		},
		{
			name:     "204 is not 200",
			handler:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
			wantKind: "ErrFetchFailed", wantText: "HTTP 204",
		},
		{
			name:     "302 to a valid document on the same host is not followed",
			handler:  redirectTo("/real.json", http.StatusFound),
			wantKind: "ErrFetchFailed", wantText: "redirects are never followed", wantRequests: 1,
		},
		{
			name:     "301 not followed",
			handler:  redirectTo("/real.json", http.StatusMovedPermanently),
			wantKind: "ErrFetchFailed", wantText: "HTTP 301", wantRequests: 1,
		},
		{
			name:     "307 to the metadata service not followed",
			handler:  redirectTo("http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect),
			wantKind: "ErrFetchFailed", wantText: "HTTP 307", wantRequests: 1,
		},
		{
			name:     "308 not followed",
			handler:  redirectTo("https://evil.example.com/x.json", http.StatusPermanentRedirect),
			wantKind: "ErrFetchFailed", wantText: "HTTP 308", wantRequests: 1,
		},
		{
			name:     "text/html",
			handler:  func(w http.ResponseWriter, r *http.Request) { serveJSONType(w, r, "text/html", validDoc) },
			wantKind: "ErrFetchFailed", wantText: "content type",
		},
		{
			name:     "application/jsonp",
			handler:  func(w http.ResponseWriter, r *http.Request) { serveJSONType(w, r, "application/jsonp", validDoc) },
			wantKind: "ErrFetchFailed", wantText: "content type",
		},
		{
			name: "no content type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = nil // stops net/http sniffing one
				_, _ = w.Write([]byte(strings.ReplaceAll(validDoc, "{{self}}", selfURL(r))))
			},
			wantKind: "ErrFetchFailed", wantText: "content type",
		},
		{
			name: "too large with Content-Length",
			handler: func(w http.ResponseWriter, r *http.Request) {
				body := strings.ReplaceAll(validDoc, "{{self}}", selfURL(r))
				serveJSON(w, r, body+strings.Repeat(" ", testMaxBytes+1-len(body)))
			},
			wantKind: "ErrFetchFailed", wantText: "larger than 2048 bytes",
		},
		{
			name: "too large streamed without Content-Length",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				for range 100 {
					_, _ = w.Write([]byte(strings.Repeat(" ", 1024)))
					w.(http.Flusher).Flush()
				}
			},
			wantKind: "ErrFetchFailed", wantText: "larger than 2048 bytes",
		},
		{
			name: "slow headers time out",
			slow: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				// Not r.Context(): under load it has been seen to end
				// before the client's timeout, and the handler's return
				// then sent the headers the case is about never sending.
				time.Sleep(2 * time.Second)
			},
			wantKind: "ErrFetchFailed", wantText: "did not complete within",
		},
		{
			name: "slow body times out",
			slow: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"client_id":`))
				w.(http.Flusher).Flush()
				time.Sleep(2 * time.Second)
			},
			wantKind: "ErrFetchFailed", wantText: "did not complete within",
		}})
}

func serveJSONType(w http.ResponseWriter, r *http.Request, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write([]byte(strings.ReplaceAll(body, "{{self}}", selfURL(r))))
}

// redirectTo redirects the client_id and serves a valid document at every
// other path, so that following the redirect would succeed.
func redirectTo(location string, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/client.json" {
			http.Redirect(w, r, location, code)
			return
		}
		serveJSON(w, r, validDoc)
	}
}

func TestResolveIPLiteralClientID(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, validDoc) })
	lookups := &fixedLookup{addrs: addrs("127.0.0.1")}
	opts := testOptions(ts, newFakeClock())
	opts.Resolver = lookups.lookup
	id := "https://127.0.0.1:" + ts.port() + "/client.json"

	if c := resolveOK(t, mustNew(t, opts), id); c.ID != id {
		t.Errorf("ID: got %q, want %q", c.ID, id)
	}
	if got := lookups.calls.Load(); got != 0 {
		t.Errorf("DNS lookups for an IP literal: got %d, want 0", got)
	}

	opts.AllowedNetworks = nil
	_, err := mustNew(t, opts).Resolve(context.Background(), id)
	checkErr(t, err, "ErrInvalidClient", "127.0.0.1")
	if got := ts.requests.Load(); got != 1 {
		t.Errorf("requests: got %d, want 1 (only the allowed resolution)", got)
	}
}

func TestResolveSendsAcceptAndNoCredentials(t *testing.T) {
	type seen struct{ accept, auth, cookie string }
	got := make(chan seen, 1)
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Header.Get("Accept"), r.Header.Get("Authorization"), r.Header.Get("Cookie")}
		serveJSON(w, r, validDoc)
	})
	resolveOK(t, mustNew(t, testOptions(ts, newFakeClock())), ts.url("app.example.com", "/c.json"))
	if s := <-got; s != (seen{accept: "application/json"}) {
		t.Errorf("request headers: got %+v, want Accept application/json and no credentials", s)
	}
}

func TestResolveTLS(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { serveJSON(w, r, validDoc) })
	tests := []struct {
		name   string
		host   string
		mutate func(*Options)
	}{
		{"untrusted CA", "app.example.com", func(o *Options) { o.RootCAs = nil }},
		// The address is pinned but the name is still what TLS verifies:
		// a certificate for example.com does not cover other.test.
		{"name not in certificate", "app.other.test", func(*Options) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(ts, newFakeClock())
			tt.mutate(&opts)
			_, err := mustNew(t, opts).Resolve(context.Background(), ts.url(tt.host, "/c.json"))
			checkErr(t, err, "ErrFetchFailed", "certificate")
		})
	}
}
