package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
)

// TestRegistrationLockdownCoversMetadataDocuments: a client described by a
// metadata document is held to the same registration policy as one that
// registers itself. Restricting registration (off, or behind an initial
// access token) turns metadata documents off unless their hosts are listed
// in registration.cimd.allow_domains, and redirect URI patterns apply to
// the documents' redirect URIs.
func TestRegistrationLockdownCoversMetadataDocuments(t *testing.T) {
	host := startMetadataHost(t)
	docHost := strings.TrimPrefix(host.URL, "https://")
	docHostName, _, _ := strings.Cut(docHost, ":")
	good := host.document("/client.json", nil)
	evil := host.document("/evil.json", func(d map[string]any) { d["redirect_uris"] = []string{"https://evil.example/landing"} })

	tests := []struct {
		name       string
		mutate     func(*config.Config)
		clientID   string
		redirect   string
		wantAccept bool
		// wantAdvertised is client_id_metadata_document_supported.
		wantAdvertised bool
	}{
		{name: "open registration", mutate: func(*config.Config) {}, clientID: good, redirect: "http://127.0.0.1:7780/callback", wantAccept: true, wantAdvertised: true},
		{name: "dynamic registration off", mutate: func(c *config.Config) { c.Registration.DynamicEnabled = false }, clientID: good, redirect: "http://127.0.0.1:7780/callback"},
		{name: "initial access token", mutate: func(c *config.Config) { c.Registration.InitialAccessToken = "operators-only-token" }, clientID: good, redirect: "http://127.0.0.1:7780/callback"},
		{name: "dynamic registration off, host allowed", mutate: func(c *config.Config) {
			c.Registration.DynamicEnabled = false
			c.Registration.CIMD.AllowDomains = []string{docHostName}
		}, clientID: good, redirect: "http://127.0.0.1:7780/callback", wantAccept: true, wantAdvertised: true},
		{name: "redirect patterns refuse the document", mutate: func(c *config.Config) {
			c.Registration.RedirectURIPatterns = []string{"http://127.0.0.1:*/callback"}
		}, clientID: evil, redirect: "https://evil.example/landing", wantAdvertised: true},
		{name: "redirect patterns admit the document", mutate: func(c *config.Config) {
			c.Registration.RedirectURIPatterns = []string{"http://127.0.0.1:*/callback"}
		}, clientID: good, redirect: "http://127.0.0.1:7780/callback", wantAccept: true, wantAdvertised: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
				trustTestHost(host)(c)
				tt.mutate(c)
			}})
			var md map[string]any
			resp, err := http.Get(g.URL + "/.well-known/oauth-authorization-server")
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(&md)
			resp.Body.Close()
			if got := md["client_id_metadata_document_supported"] == true; got != tt.wantAdvertised {
				t.Errorf("client_id_metadata_document_supported: got %v, want %v", md["client_id_metadata_document_supported"], tt.wantAdvertised)
			}
			c := client{ID: tt.clientID, RedirectURI: tt.redirect, Verifier: strings.Repeat("m", 50)}
			r := newBrowser(t).get(g.authorizeURL(c, func(q url.Values) {}))
			page := readBody(t, r)
			if tt.wantAccept {
				if r.StatusCode != http.StatusOK || !strings.Contains(page, "Metadata Client") {
					t.Fatalf("got %d, want the consent page", r.StatusCode)
				}
				return
			}
			if r.StatusCode != http.StatusBadRequest || r.Header.Get("Location") != "" {
				t.Fatalf("got %d to %q, want an error page and no redirect", r.StatusCode, r.Header.Get("Location"))
			}
			// Nor can it get tokens.
			res := g.tokenRequest(t, c, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {tt.redirect}, "code_verifier": {c.Verifier}})
			if res.Status != http.StatusUnauthorized || res.Error != "invalid_client" {
				t.Errorf("token endpoint: got %d %s, want 401 invalid_client", res.Status, res.Error)
			}
		})
	}
}
