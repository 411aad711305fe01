package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
)

// TestSeveralBackends: two backends behind one mcpgate, each its own
// protected resource: metadata of its own, tokens bound to it (one for the
// other is refused with invalid_token and this backend's metadata), its
// own scopes and its own rules.
func TestSeveralBackends(t *testing.T) {
	tools := startRecordingBackend(t)
	files := startRecordingBackend(t)
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	g := startGateway(t, gatewayOptions{mutate: withBackend(tools.URL+"/mcp", func(c *config.Config) {
		c.Audit.Path = auditPath
		c.Policy.Rules = []config.Rule{{Name: "tools-all", Allow: config.Permissions{Tools: []string{"*"}}}}
		c.Backends = []config.NamedBackend{{
			Name: "files", URL: files.URL + "/mcp", Scopes: []string{"files"},
			Policy: config.BackendPolicy{Rules: []config.Rule{{Name: "files-read", Allow: config.Permissions{Tools: []string{"read_*"}}}}},
		}}
	})})
	filesURL := g.URL + "/mcp/files"

	t.Run("metadata per backend", func(t *testing.T) {
		for _, tc := range []struct{ path, resource, scopes string }{
			{"/.well-known/oauth-protected-resource", g.resource(), "mcp"},
			{"/.well-known/oauth-protected-resource/mcp", g.resource(), "mcp"},
			{"/.well-known/oauth-protected-resource/mcp/files", filesURL, "files"},
		} {
			resp, err := http.Get(g.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			var md struct {
				Resource string   `json:"resource"`
				Scopes   []string `json:"scopes_supported"`
			}
			json.NewDecoder(resp.Body).Decode(&md)
			resp.Body.Close()
			if md.Resource != tc.resource || strings.Join(md.Scopes, " ") != tc.scopes {
				t.Errorf("%s: got %q %v, want %q [%s]", tc.path, md.Resource, md.Scopes, tc.resource, tc.scopes)
			}
		}
		resp, err := http.Post(filesURL, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || !strings.Contains(got, `resource_metadata="`+g.URL+`/.well-known/oauth-protected-resource/mcp/files"`) || !strings.Contains(got, `scope="files"`) {
			t.Errorf("got %d %q, want 401 pointing at the files backend's metadata", resp.StatusCode, got)
		}
	})

	toolsToken := g.accessToken(t)
	filesToken := tokenFor(t, g, filesURL, "")

	call := func(target, token, tool string) (int, string, string) {
		t.Helper()
		body := `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("WWW-Authenticate")
	}
	t.Run("tokens bound to their backend", func(t *testing.T) {
		if status, body, _ := call(g.resource(), toolsToken, "write_x"); status != 200 || strings.Contains(body, "error") {
			t.Errorf("tools token at tools: got %d %s", status, body)
		}
		if status, body, _ := call(filesURL, filesToken, "read_x"); status != 200 || strings.Contains(body, "error") {
			t.Errorf("files token at files: got %d %s", status, body)
		}
		status, _, challenge := call(filesURL, toolsToken, "read_x")
		if status != 401 || !strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, "oauth-protected-resource/mcp/files") {
			t.Errorf("tools token at files: got %d %q, want 401 invalid_token with the files metadata", status, challenge)
		}
		status, _, challenge = call(g.resource(), filesToken, "write_x")
		if status != 401 || !strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, `oauth-protected-resource/mcp"`) {
			t.Errorf("files token at tools: got %d %q, want 401 invalid_token with the tools metadata", status, challenge)
		}
	})
	t.Run("rules per backend", func(t *testing.T) {
		if _, body, _ := call(filesURL, filesToken, "write_x"); !strings.Contains(body, `"code":-32001`) || !strings.Contains(body, "tool:write_x") {
			t.Errorf("write_x at files: got %s, want refused by the files rules", body)
		}
		if _, body, _ := call(g.resource(), toolsToken, "write_x"); strings.Contains(body, "error") {
			t.Errorf("write_x at tools: got %s, want allowed by the tools rules", body)
		}
	})
	t.Run("the audit names the backend", func(t *testing.T) {
		raw := g.auditLog(t, auditPath)
		var files, tools int
		for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil || rec["event"] != "mcp_request" {
				continue
			}
			switch rec["backend"] {
			case "files":
				files++
			case nil:
				tools++
			}
		}
		if files == 0 || tools == 0 {
			t.Errorf("got %d lines for files and %d for the default backend, want both", files, tools)
		}
	})
	t.Run("scopes per backend", func(t *testing.T) {
		jwks := g.URL + "/jwks"
		if c := verifyWithJWKS(t, jwks, filesToken); c.Scope != "files" || c.Audience != filesURL {
			t.Errorf("files token: scope %q audience %q, want files for %s", c.Scope, c.Audience, filesURL)
		}
		if c := verifyWithJWKS(t, jwks, toolsToken); c.Scope != "mcp" || c.Audience != g.resource() {
			t.Errorf("tools token: scope %q audience %q, want mcp for %s", c.Scope, c.Audience, g.resource())
		}
	})
}

// tokenFor signs in a fresh client for resource and returns its access
// token; scope "" asks for none (the resource's scopes are granted).
// auditLog is the audit log at path, with what is buffered written.
func (g *gateway) auditLog(t *testing.T, path string) string {
	t.Helper()
	if err := g.App.Audit.Reopen(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func tokenFor(t *testing.T, g *gateway, resource, scope string) string {
	t.Helper()
	c := g.registerPublic(t)
	back := g.signIn(t, newBrowser(t), g.authorizeURL(c, func(q url.Values) {
		q.Set("resource", resource)
		q.Set("scope", scope)
	}))
	res := g.tokenRequest(t, c, url.Values{
		"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {c.RedirectURI},
		"code_verifier": {c.Verifier}, "resource": {resource},
	})
	if res.Status != http.StatusOK {
		t.Fatalf("token for %s: %d %s %s", resource, res.Status, res.Error, res.Description)
	}
	return res.AccessToken
}
