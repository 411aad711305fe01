package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// TestServiceAccounts: client_credentials with each authentication method
// yields a token the MCP endpoint accepts, and the backend sees the service
// account with its groups; bad credentials get invalid_client.
func TestServiceAccounts(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "bot-key", Algorithm: "ES256", Use: "sig"}}})
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL+"/mcp", func(c *config.Config) {
		c.ServiceAccounts = []config.ServiceAccount{
			{ID: "ci-bot", Name: "CI bot", Secret: "bot-secret-value", Groups: []string{"ci", "deployers"}},
			{ID: "signer-bot", JWKS: string(jwks), Groups: []string{"signers"}},
		}
	})})

	var md map[string]any
	resp, _ := http.Get(g.URL + "/.well-known/oauth-authorization-server")
	json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if !strings.Contains(strings.Join(toStrings(md["grant_types_supported"]), " "), "client_credentials") ||
		!strings.Contains(strings.Join(toStrings(md["token_endpoint_auth_methods_supported"]), " "), "private_key_jwt") {
		t.Errorf("metadata does not advertise client_credentials and private_key_jwt: %v %v", md["grant_types_supported"], md["token_endpoint_auth_methods_supported"])
	}

	signed := func(edit func(*jwt.Claims)) string {
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "bot-key"))
		c := jwt.Claims{Issuer: "signer-bot", Subject: "signer-bot", Audience: jwt.Audience{g.URL + "/token"},
			Expiry: jwt.NewNumericDate(time.Now().Add(time.Minute)), IssuedAt: jwt.NewNumericDate(time.Now()), ID: oauth.NewID()}
		if edit != nil {
			edit(&c)
		}
		tok, _ := jwt.Signed(sig).Claims(c).Serialize()
		return tok
	}
	replayed := signed(nil)
	assertionForm := func(a string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
	}
	tests := []struct {
		name       string
		basic      *[2]string
		form       url.Values
		wantStatus int
		wantError  string
		wantUser   string
		wantGroups string
	}{
		{name: "client_secret_basic", basic: &[2]string{"ci-bot", "bot-secret-value"}, form: url.Values{"grant_type": {"client_credentials"}},
			wantStatus: 200, wantUser: "ci-bot", wantGroups: "ci,deployers"},
		{name: "client_secret_post", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"ci-bot"}, "client_secret": {"bot-secret-value"}},
			wantStatus: 200, wantUser: "ci-bot", wantGroups: "ci,deployers"},
		{name: "private_key_jwt", form: assertionForm(replayed), wantStatus: 200, wantUser: "signer-bot", wantGroups: "signers"},
		{name: "wrong secret", basic: &[2]string{"ci-bot", "guess"}, form: url.Values{"grant_type": {"client_credentials"}}, wantStatus: 401, wantError: "invalid_client"},
		{name: "replayed assertion", form: assertionForm(replayed), wantStatus: 401, wantError: "invalid_client"},
		{name: "expired assertion", form: assertionForm(signed(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(-2 * time.Minute)) })),
			wantStatus: 401, wantError: "invalid_client"},
		{name: "unknown client", basic: &[2]string{"nobody", "x"}, form: url.Values{"grant_type": {"client_credentials"}}, wantStatus: 401, wantError: "invalid_client"},
		{name: "public DCR client may not", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {g.registerPublic(t).ID}},
			wantStatus: 400, wantError: "unauthorized_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, g.URL+"/token", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.basic != nil {
				req.SetBasicAuth(tt.basic[0], tt.basic[1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var res tokenResult
			json.Unmarshal([]byte(readBody(t, resp)), &res)
			if resp.StatusCode != tt.wantStatus || res.Error != tt.wantError {
				t.Fatalf("got %d %q (%s), want %d %q", resp.StatusCode, res.Error, res.Description, tt.wantStatus, tt.wantError)
			}
			if tt.wantStatus != 200 {
				return
			}
			if res.RefreshToken != "" {
				t.Error("a refresh token came with client_credentials")
			}
			if status := mcpStatus(t, g, res.AccessToken); status != http.StatusOK {
				t.Fatalf("MCP request with the service account's token: got %d", status)
			}
			h := backend.last()
			if h.Get("X-Forwarded-User") != tt.wantUser || h.Get("X-Forwarded-Groups") != tt.wantGroups {
				t.Errorf("backend saw user %q groups %q, want %q %q", h.Get("X-Forwarded-User"), h.Get("X-Forwarded-Groups"), tt.wantUser, tt.wantGroups)
			}
		})
	}
}

func toStrings(v any) []string {
	var out []string
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
