package e2e_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestRealClients replays what each popular MCP client sends (the table in
// realclients_table_test.go): its registration or metadata document, its
// authorization request, its code exchange and its refresh, through a
// sign-in at the real OpenID provider, to a token /mcp accepts.
func TestRealClients(t *testing.T) {
	host := startMetadataHost(t)
	key := serveClientKey(t, host, "/oauth/jwks.json")
	backend := startRecordingBackend(t)
	g := startGateway(t, gatewayOptions{mutate: withBackend(backend.URL+"/mcp", trustTestHost(host))})
	for _, rc := range realClients {
		t.Run(rc.name, func(t *testing.T) {
			c := rc.client(t, g, host)
			b := newBrowser(t)
			back := g.signIn(t, b, rc.authorizeURL(g, c))
			if got := back.Scheme + "://" + back.Host + back.Path; got != strings.TrimSuffix(rc.redirect, "?") {
				t.Errorf("sent back to %s, want %s", got, rc.redirect)
			}
			q := back.Query()
			if q.Get("state") != rc.authorize["state"] {
				t.Errorf("state: got %q, want %q byte for byte", q.Get("state"), rc.authorize["state"])
			}
			if q.Get("iss") != g.URL {
				t.Errorf("iss: got %q, want %q (Goose and Codex check it)", q.Get("iss"), g.URL)
			}
			form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {rc.redirect}, "code_verifier": {c.Verifier}}
			if rc.tokenResource {
				form.Set("resource", g.resource())
			}
			res := rc.token(t, g, c, form, key)
			if res.Status != http.StatusOK {
				t.Fatalf("code exchange: %d %s (%s)", res.Status, res.Error, res.Description)
			}
			if res.Scope != rc.wantScope {
				t.Errorf("scope: got %q, want %q", res.Scope, rc.wantScope)
			}
			if status := mcpStatus(t, g, res.AccessToken); status != http.StatusOK {
				t.Fatalf("MCP call: got %d, want 200", status)
			}
			form = url.Values{"grant_type": {"refresh_token"}, "refresh_token": {res.RefreshToken}}
			if rc.refreshResource {
				form.Set("resource", g.resource())
			}
			if rc.refreshScope != "" {
				form.Set("scope", rc.refreshScope)
			}
			ref := rc.token(t, g, c, form, key)
			if ref.Status != http.StatusOK {
				t.Fatalf("refresh: %d %s (%s)", ref.Status, ref.Error, ref.Description)
			}
			if status := mcpStatus(t, g, ref.AccessToken); status != http.StatusOK {
				t.Errorf("MCP call after the refresh: got %d, want 200", status)
			}
		})
	}
}

// client registers the row's client, or publishes its document.
func (rc realClient) client(t *testing.T, g *gateway, host *metadataHost) client {
	t.Helper()
	verifier := strings.Repeat("k", 43) + randomSuffix()
	if rc.document != nil {
		doc := rc.document
		return client{ID: host.document(rc.documentPath, func(d map[string]any) {
			for k, v := range doc {
				if s, ok := v.(string); ok {
					v = strings.ReplaceAll(s, "{{host}}", host.URL)
				}
				d[k] = v
			}
		}), RedirectURI: rc.redirect, Verifier: verifier}
	}
	c := g.register(t, rc.register)
	c.RedirectURI, c.Verifier = rc.redirect, verifier
	return c
}

func (rc realClient) authorizeURL(g *gateway, c client) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ID},
		"redirect_uri":          {rc.redirect},
		"code_challenge":        {c.challenge()},
		"code_challenge_method": {"S256"},
	}
	for k, v := range rc.authorize {
		switch k {
		case resourceParam:
			q.Set("resource", g.resource())
		case resourceParam + "*2":
			q["resource"] = []string{g.resource(), g.resource()}
		default:
			q.Set(k, v)
		}
	}
	return g.URL + "/authorize?" + q.Encode()
}

// token sends a token request authenticated the row's way.
func (rc realClient) token(t *testing.T, g *gateway, c client, form url.Values, key *rsa.PrivateKey) tokenResult {
	t.Helper()
	switch rc.tokenAuth {
	case "private_key_jwt":
		form.Set("client_id", c.ID)
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", clientAssertion(t, key, c.ID, g.URL+"/token"))
	case "client_secret_basic":
	case "client_secret_post":
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret)
	default:
		form.Set("client_id", c.ID)
	}
	if rc.tokenAuth == "client_secret_basic" {
		return g.postToken(t, form, c.ID, c.Secret)
	}
	return g.postToken(t, form, "", "")
}

// TestMCPRemoteRegistrationPreflight: before opening the browser with a
// cached registration, mcp-remote GETs the authorization URL asking for
// JSON, and registers again when the answer is a 400 or 401 with
// invalid_client ([src] mcp-remote preflightCachedDynamicClientRegistration
// and staleClientRegistrationError). A registration mcpgate no longer has
// gets exactly that; a live one gets the consent page as usual.
func TestMCPRemoteRegistrationPreflight(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	preflight := func(c client) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, g.authorizeURL(c, nil), nil)
		req.Header.Set("Accept", "application/json")
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, readBody(t, resp)
	}
	gone := client{ID: "registration-lost-in-a-reset", RedirectURI: "http://localhost:14321/oauth/callback", Verifier: strings.Repeat("v", 50)}
	resp, body := preflight(gone)
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e); (resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnauthorized) || e.Error != "invalid_client" {
		t.Errorf("unknown client: got %d %s, want 400 or 401 with invalid_client", resp.StatusCode, body)
	}
	live := g.registerPublic(t)
	if resp, _ := preflight(live); resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized {
		t.Errorf("live client: got %d, which would make mcp-remote throw its registration away", resp.StatusCode)
	}
}

// serveClientKey makes an RSA key and publishes its public half at path on
// host, as a client's jwks_uri.
func serveClientKey(t *testing.T, host *metadataHost, path string) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "client-key-1", Algorithm: "RS256", Use: "sig"}}})
	host.docs[path] = func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}
	return key
}

// clientAssertion is an RFC 7523 client assertion for clientID.
func clientAssertion(t *testing.T, key *rsa.PrivateKey, clientID, audience string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "client-key-1"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"iss": clientID, "sub": clientID, "aud": audience,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": randomSuffix() + "-" + strings.Repeat("j", 16),
	})
	jws, err := signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// TestMetadataDocumentClientKeys: a metadata-document client that says it
// authenticates with private_key_jwt must: no assertion, an assertion by
// another key, for another audience or replayed, all get 401
// invalid_client; an assertion is refused from a public client too.
func TestMetadataDocumentClientKeys(t *testing.T) {
	host := startMetadataHost(t)
	key := serveClientKey(t, host, "/keys/jwks.json")
	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	g := startGateway(t, gatewayOptions{mutate: trustTestHost(host)})
	keyed := host.document("/keyed.json", func(d map[string]any) {
		d["token_endpoint_auth_method"] = "private_key_jwt"
		d["jwks_uri"] = host.URL + "/keys/jwks.json"
	})
	public := host.document("/public.json", nil)
	replayed := clientAssertion(t, key, keyed, g.URL+"/token")
	try := func(form url.Values) tokenResult {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", "no-such-token")
		return g.postToken(t, form, "", "")
	}
	assertion := func(id, a string) url.Values {
		return url.Values{"client_id": {id}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
	}
	// The key itself works: past client authentication, the made-up
	// refresh token is what fails.
	if r := try(assertion(keyed, replayed)); r.Error != "invalid_grant" {
		t.Fatalf("a good assertion: got %d %s, want invalid_grant (authenticated)", r.Status, r.Error)
	}
	tests := []struct {
		name string
		form url.Values
	}{
		{"no assertion", url.Values{"client_id": {keyed}}},
		{"another key", assertion(keyed, clientAssertion(t, stranger, keyed, g.URL+"/token"))},
		{"another audience", assertion(keyed, clientAssertion(t, key, keyed, "https://other.example.com/token"))},
		{"replayed", assertion(keyed, replayed)},
		{"assertion from a public client", assertion(public, clientAssertion(t, key, public, g.URL+"/token"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := try(tt.form); r.Status != http.StatusUnauthorized || r.Error != "invalid_client" {
				t.Errorf("got %d %s, want 401 invalid_client", r.Status, r.Error)
			}
		})
	}
}
