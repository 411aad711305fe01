package e2e_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/mcpgate/mcpgate/config"
)

// metadataHost serves client ID metadata documents over HTTPS.
type metadataHost struct {
	*httptest.Server
	docs   map[string]func(w http.ResponseWriter)
	caFile string
	// fetches counts the requests the host received; slow makes each take
	// 50 ms.
	fetches atomic.Int32
	slow    atomic.Bool
}

func startMetadataHost(t *testing.T) *metadataHost {
	h := &metadataHost{docs: map[string]func(http.ResponseWriter){}}
	h.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fetches.Add(1)
		if h.slow.Load() {
			time.Sleep(50 * time.Millisecond)
		}
		if f, ok := h.docs[r.URL.Path]; ok {
			f(w)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(h.Close)
	h.caFile = filepath.Join(t.TempDir(), "ca.pem")
	cert := h.Certificate()
	if err := os.WriteFile(h.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *metadataHost) clientID(path string) string { return h.URL + path }

// document publishes a metadata document whose client_id is its own URL
// unless edit changes it.
func (h *metadataHost) document(path string, edit func(map[string]any)) string {
	id := h.clientID(path)
	doc := map[string]any{
		"client_id":                  id,
		"client_name":                "Metadata Client",
		"client_uri":                 "https://client.example.com",
		"redirect_uris":              []string{"http://127.0.0.1:7780/callback"},
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
	}
	if edit != nil {
		edit(doc)
	}
	body, _ := json.Marshal(doc)
	h.docs[path] = func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=60")
		w.Write(body)
	}
	return id
}

// trustTestHost lets mcpgate fetch from the test's loopback HTTPS host,
// which the SSRF defences refuse by default.
func trustTestHost(h *metadataHost) func(*config.Config) {
	return func(c *config.Config) {
		c.Registration.CIMD.CAFile = h.caFile
		c.Registration.CIMD.AllowedNetworks = []string{"127.0.0.0/8"}
	}
}

// TestClientIDMetadataDocuments: a client that names itself by a metadata
// document URL signs in; documents that lie, hide behind private addresses,
// grow too large or redirect are refused, as is a redirect URI the document
// does not list.
func TestClientIDMetadataDocuments(t *testing.T) {
	host := startMetadataHost(t)
	g := startGateway(t, gatewayOptions{mutate: trustTestHost(host)})

	var md map[string]any
	resp, _ := http.Get(g.URL + "/.well-known/oauth-authorization-server")
	json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if md["client_id_metadata_document_supported"] != true {
		t.Fatalf("metadata: client_id_metadata_document_supported = %v, want true", md["client_id_metadata_document_supported"])
	}

	t.Run("sign-in", func(t *testing.T) {
		c := client{ID: host.document("/good.json", nil), RedirectURI: "http://127.0.0.1:7780/callback", Verifier: strings.Repeat("m", 50)}
		b := newBrowser(t)
		resp := b.get(g.authorizeURL(c, nil))
		page := readBody(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Metadata Client") || !strings.Contains(page, "127.0.0.1:7780") {
			t.Fatalf("consent: got %d, want a page naming the client and its redirect host", resp.StatusCode)
		}
		if host := strings.TrimPrefix(host.URL, "https://"); !strings.Contains(page, "published at "+host) {
			t.Errorf("consent page does not say where the client's description comes from (%s)", host)
		}
		code := g.signIn(t, b, g.authorizeURL(c, nil)).Query().Get("code")
		res := g.exchange(t, c, code)
		if res.Status != http.StatusOK {
			t.Fatalf("exchange: %d %s", res.Status, res.Error)
		}
		if claims := verifyWithJWKS(t, g.URL+"/jwks", res.AccessToken); claims.ClientID != c.ID {
			t.Errorf("client_id claim: got %q, want the document URL", claims.ClientID)
		}
	})

	big := strings.Repeat("x", 64<<10)
	host.document("/mismatch.json", func(d map[string]any) { d["client_id"] = "https://evil.example.com/client.json" })
	host.document("/big.json", func(d map[string]any) { d["client_name"] = big })
	host.docs["/redirect.json"] = func(w http.ResponseWriter) {
		w.Header().Set("Location", "https://169.254.169.254/latest/meta-data/")
		w.WriteHeader(http.StatusFound)
	}
	host.document("/other-redirect.json", nil)
	strict := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Registration.CIMD.CAFile = host.caFile }})
	tests := []struct {
		name        string
		gateway     *gateway
		path        string
		redirectURI string
	}{
		{name: "client_id differs from its URL", gateway: g, path: "/mismatch.json"},
		{name: "document too large", gateway: g, path: "/big.json"},
		{name: "redirect to a private address", gateway: g, path: "/redirect.json"},
		{name: "document not found", gateway: g, path: "/missing.json"},
		{name: "served from a private address", gateway: strict, path: "/good.json"},
		{name: "redirect URI not in the document", gateway: g, path: "/other-redirect.json", redirectURI: "http://127.0.0.1:7780/elsewhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client{ID: host.clientID(tt.path), RedirectURI: "http://127.0.0.1:7780/callback", Verifier: strings.Repeat("m", 50)}
			if tt.redirectURI != "" {
				c.RedirectURI = tt.redirectURI
			}
			resp := newBrowser(t).get(tt.gateway.authorizeURL(c, nil))
			readBody(t, resp)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("authorize: got %d to %q, want a 400 error page and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
			res := tt.gateway.tokenRequest(t, client{ID: c.ID}, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "code_verifier": {c.Verifier}})
			if tt.redirectURI == "" && (res.Status != http.StatusUnauthorized || res.Error != "invalid_client") {
				t.Errorf("token: got %d %q, want 401 invalid_client", res.Status, res.Error)
			}
		})
	}
}

// TestGoSDKClientWithMetadataDocument: the go-sdk's client chooses CIMD
// when mcpgate advertises it, and signs in with its document URL.
func TestGoSDKClientWithMetadataDocument(t *testing.T) {
	host := startMetadataHost(t)
	g := startGateway(t, gatewayOptions{mutate: trustTestHost(host)})
	const redirectURI = "http://127.0.0.1:7781/callback"
	clientID := host.document("/go-sdk.json", func(d map[string]any) { d["redirect_uris"] = []string{redirectURI} })
	b := newBrowser(t)
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		ClientIDMetadataDocumentConfig: &auth.ClientIDMetadataDocumentConfig{URL: clientID},
		RedirectURL:                    redirectURI,
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			q := g.signIn(t, b, args.URL).Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	token := authorizeWith(t, g, h)
	if claims := verifyWithJWKS(t, g.URL+"/jwks", token); claims.ClientID != clientID {
		t.Errorf("client_id: got %q, want %q", claims.ClientID, clientID)
	}
}

// authorizeWith runs a go-sdk handler from the MCP endpoint's 401 and
// returns the access token it obtained.
func authorizeWith(t *testing.T, g *gateway, h *auth.AuthorizationCodeHandler) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unauthenticated request: got %d, want 401", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.Authorize(ctx, req, resp); err != nil {
		t.Fatalf("go-sdk Authorize: %v", err)
	}
	ts, err := h.TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}
