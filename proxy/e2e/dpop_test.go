package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/dpop"
)

// dpopClient is a client's DPoP key and the proofs it makes.
type dpopClient struct {
	t   *testing.T
	key *ecdsa.PrivateKey
	jkt string
}

func newDPoPClient(t *testing.T) *dpopClient {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jkt, err := dpop.Thumbprint(&jose.JSONWebKey{Key: &key.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	return &dpopClient{t: t, key: key, jkt: jkt}
}

// proof is a DPoP proof for method and target; token adds its ath;
// extra claims replace the made ones (nonce, an old iat).
func (d *dpopClient) proof(method, target, token string, extra map[string]any) string {
	now := time.Now()
	if iat, ok := extra["iat"].(int64); ok {
		now = time.Unix(iat, 0)
	}
	nonce, _ := extra["nonce"].(string)
	p, err := dpop.NewProof(d.key, jose.ES256, method, target, token, nonce, now)
	if err != nil {
		d.t.Fatal(err)
	}
	return p
}

// tokenWithProof posts a token request with a DPoP proof header.
func tokenWithProof(t *testing.T, g *gateway, form url.Values, proof string) (tokenResult, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		tokenResult
		TokenType string `json:"token_type"`
	}
	json.Unmarshal([]byte(readBody(t, resp)), &out)
	out.Status = resp.StatusCode
	if out.TokenType != "" {
		out.tokenResult.Description = "token_type=" + out.TokenType
	}
	return out.tokenResult, resp.Header
}

// mcpWithProof calls the MCP endpoint with scheme and proof as given.
func mcpWithProof(t *testing.T, g *gateway, scheme, token string, proofs ...string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", scheme+" "+token)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	return resp.StatusCode, resp.Header
}

func cnfOf(t *testing.T, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	json.Unmarshal(payload, &c)
	return c.Cnf.JKT
}

// TestDPoP: a client that sends a DPoP proof to /token gets tokens bound
// to its key (token_type DPoP, cnf.jkt); at /mcp the bound token passes
// only with the DPoP scheme and a fresh proof by that key for this
// method, URL and token; every other way is refused with the DPoP
// challenge; bearer tokens keep working beside it.
func TestDPoP(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Backend.URL = backend.URL }})
	d := newDPoPClient(t)
	c := g.registerPublic(t)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {g.code(t, c)}, "redirect_uri": {c.RedirectURI},
		"code_verifier": {c.Verifier}, "resource": {g.resource()}, "client_id": {c.ID}}
	tok, _ := tokenWithProof(t, g, form, d.proof(http.MethodPost, g.URL+"/token", "", nil))
	if tok.AccessToken == "" || tok.Description != "token_type=DPoP" {
		t.Fatalf("code exchange with a proof: %d %s %s", tok.Status, tok.Error, tok.Description)
	}
	if got := cnfOf(t, tok.AccessToken); got != d.jkt {
		t.Fatalf("cnf.jkt %q, want the proof key's %q", got, d.jkt)
	}
	at := tok.AccessToken

	if status, _ := mcpWithProof(t, g, "DPoP", at, d.proof(http.MethodPost, g.resource(), at, nil)); status != http.StatusOK {
		t.Fatalf("the bound token with a good proof: %d", status)
	}
	replayed := d.proof(http.MethodPost, g.resource(), at, nil)
	if status, _ := mcpWithProof(t, g, "DPoP", at, replayed); status != http.StatusOK {
		t.Fatalf("a fresh proof: %d", status)
	}
	other := newDPoPClient(t)
	refusals := []struct {
		name, scheme string
		proofs       []string
		wantError    string
	}{
		{name: "no proof", scheme: "DPoP", wantError: "invalid_dpop_proof"},
		{name: "sent as a bearer token", scheme: "Bearer", proofs: []string{d.proof(http.MethodPost, g.resource(), at, nil)}, wantError: "invalid_token"},
		{name: "proof for another method", scheme: "DPoP", proofs: []string{d.proof(http.MethodGet, g.resource(), at, nil)}, wantError: "invalid_dpop_proof"},
		{name: "proof for another URL", scheme: "DPoP", proofs: []string{d.proof(http.MethodPost, g.URL+"/other", at, nil)}, wantError: "invalid_dpop_proof"},
		{name: "replayed proof", scheme: "DPoP", proofs: []string{replayed}, wantError: "invalid_dpop_proof"},
		{name: "proof by another key", scheme: "DPoP", proofs: []string{other.proof(http.MethodPost, g.resource(), at, nil)}, wantError: "invalid_dpop_proof"},
		{name: "proof for another token", scheme: "DPoP", proofs: []string{d.proof(http.MethodPost, g.resource(), "another-token", nil)}, wantError: "invalid_dpop_proof"},
		{name: "old proof", scheme: "DPoP", proofs: []string{d.proof(http.MethodPost, g.resource(), at, map[string]any{"iat": time.Now().Add(-10 * time.Minute).Unix()})}, wantError: "invalid_dpop_proof"},
		{name: "two proofs", scheme: "DPoP", proofs: []string{d.proof(http.MethodPost, g.resource(), at, nil), d.proof(http.MethodPost, g.resource(), at, nil)}, wantError: "invalid_dpop_proof"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			status, h := mcpWithProof(t, g, r.scheme, at, r.proofs...)
			challenge := strings.Join(h.Values("WWW-Authenticate"), ", ")
			if status != http.StatusUnauthorized || !strings.Contains(challenge, `DPoP error="`+r.wantError+`"`) || !strings.Contains(challenge, `algs="ES256`) {
				t.Errorf("got %d, WWW-Authenticate %q; want 401 with DPoP error=%q", status, challenge, r.wantError)
			}
		})
	}

	t.Run("refresh keeps the binding", func(t *testing.T) {
		refresh := func(proof string) tokenResult {
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "resource": {g.resource()}, "client_id": {c.ID}}
			res, _ := tokenWithProof(t, g, form, proof)
			return res
		}
		if res := refresh(""); res.Status != http.StatusBadRequest || res.Error != "invalid_grant" || !strings.Contains(res.Description, "bound to a DPoP key") {
			t.Errorf("a public client's bound refresh token without a proof: %d %s %s", res.Status, res.Error, res.Description)
		}
		if res := refresh(other.proof(http.MethodPost, g.URL+"/token", "", nil)); res.Status != http.StatusBadRequest || res.Error != "invalid_grant" {
			t.Errorf("with another key's proof: %d %s", res.Status, res.Error)
		}
		res := refresh(d.proof(http.MethodPost, g.URL+"/token", "", nil))
		if res.AccessToken == "" || res.Description != "token_type=DPoP" || cnfOf(t, res.AccessToken) != d.jkt || res.RefreshToken == "" {
			t.Fatalf("with the key's proof: %d %s %s", res.Status, res.Error, res.Description)
		}
		if status, _ := mcpWithProof(t, g, "DPoP", res.AccessToken, d.proof(http.MethodPost, g.resource(), res.AccessToken, nil)); status != http.StatusOK {
			t.Errorf("the refreshed token with a proof: %d", status)
		}
		tok.RefreshToken = res.RefreshToken
		// The successor is bound too.
		if res := refresh(""); res.Error != "invalid_grant" {
			t.Errorf("the rotated refresh token without a proof: %d %s", res.Status, res.Error)
		}
	})
	t.Run("an unbound token with the DPoP scheme", func(t *testing.T) {
		bearer := g.accessToken(t)
		if status, _ := mcpWithProof(t, g, "DPoP", bearer, d.proof(http.MethodPost, g.resource(), bearer, nil)); status != http.StatusUnauthorized {
			t.Errorf("got %d, want 401", status)
		}
		if status, _ := g.postMCP(t, bearer, `{"jsonrpc":"2.0","id":1,"method":"ping"}`); status != http.StatusOK {
			t.Errorf("a bearer token beside DPoP: %d, want 200", status)
		}
	})
	t.Run("token endpoint refusals", func(t *testing.T) {
		for _, tc := range []struct{ name, proof string }{
			{"proof for another URL", d.proof(http.MethodPost, g.URL+"/authorize", "", nil)},
			{"proof for GET", d.proof(http.MethodGet, g.URL+"/token", "", nil)},
			{"not a proof", "garbage"},
		} {
			c := g.registerPublic(t)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {g.code(t, c)}, "redirect_uri": {c.RedirectURI},
				"code_verifier": {c.Verifier}, "resource": {g.resource()}, "client_id": {c.ID}}
			if res, _ := tokenWithProof(t, g, form, tc.proof); res.Status != http.StatusBadRequest || res.Error != "invalid_dpop_proof" {
				t.Errorf("%s: %d %s, want 400 invalid_dpop_proof", tc.name, res.Status, res.Error)
			}
		}
	})
	t.Run("metadata", func(t *testing.T) {
		meta := readBody(t, mustGet(t, g.URL+"/.well-known/oauth-authorization-server"))
		if !strings.Contains(meta, `"dpop_signing_alg_values_supported":["ES256"`) {
			t.Errorf("metadata lacks dpop_signing_alg_values_supported:\n%s", meta)
		}
	})
}

// TestDPoPOptions: dpop.nonce makes /token and /mcp ask for a server
// nonce (use_dpop_nonce with DPoP-Nonce) and take the one given;
// dpop.required refuses bearer tokens at /mcp.
func TestDPoPOptions(t *testing.T) {
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) {
		c.Backend.URL = backend.URL
		c.DPoP = config.DPoP{Nonce: true, Required: true}
	}})
	d := newDPoPClient(t)
	c := g.registerPublic(t)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {g.code(t, c)}, "redirect_uri": {c.RedirectURI},
		"code_verifier": {c.Verifier}, "resource": {g.resource()}, "client_id": {c.ID}}
	res, h := tokenWithProof(t, g, form, d.proof(http.MethodPost, g.URL+"/token", "", nil))
	nonce := h.Get("DPoP-Nonce")
	if res.Status != http.StatusBadRequest || res.Error != "use_dpop_nonce" || nonce == "" {
		t.Fatalf("a proof without the nonce at /token: %d %s, DPoP-Nonce %q", res.Status, res.Error, nonce)
	}
	res, _ = tokenWithProof(t, g, form, d.proof(http.MethodPost, g.URL+"/token", "", map[string]any{"nonce": nonce}))
	if res.AccessToken == "" {
		t.Fatalf("with the nonce: %d %s %s", res.Status, res.Error, res.Description)
	}
	status, mh := mcpWithProof(t, g, "DPoP", res.AccessToken, d.proof(http.MethodPost, g.resource(), res.AccessToken, nil))
	if status != http.StatusUnauthorized || !strings.Contains(mh.Get("WWW-Authenticate"), `error="use_dpop_nonce"`) || mh.Get("DPoP-Nonce") == "" {
		t.Errorf("/mcp without the nonce: %d %q, DPoP-Nonce %q", status, mh.Get("WWW-Authenticate"), mh.Get("DPoP-Nonce"))
	}
	if status, _ := mcpWithProof(t, g, "DPoP", res.AccessToken, d.proof(http.MethodPost, g.resource(), res.AccessToken, map[string]any{"nonce": mh.Get("DPoP-Nonce")})); status != http.StatusOK {
		t.Errorf("/mcp with the nonce: %d", status)
	}
	bearer := g.accessToken(t)
	status, bh := mcpWithProof(t, g, "Bearer", bearer)
	if status != http.StatusUnauthorized || !strings.Contains(bh.Get("WWW-Authenticate"), `DPoP error="invalid_token"`) {
		t.Errorf("a bearer token with dpop.required: %d %q", status, bh.Get("WWW-Authenticate"))
	}
}
