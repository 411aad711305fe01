package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// hostileIdP is an OpenID Provider whose every answer is scripted by the
// test, so that it can send back whatever a compromised or confused IdP
// (or an attacker in the middle of the callback) would.
type hostileIdP struct {
	t   testing.TB
	srv *httptest.Server
	key *ecdsa.PrivateKey
	// discoveryExtra is merged into the discovery document; nil deletes.
	discoveryExtra map[string]any

	mu sync.Mutex
	// token writes the token endpoint's answer.
	token func(w http.ResponseWriter)
	// userinfo is the userinfo response body; nil means 404.
	userinfo map[string]any
	// tokenForm and tokenUser record the last token request.
	tokenForm url.Values
	tokenUser string
	tokenPass string
}

func newHostileIdP(t testing.TB, discoveryExtra map[string]any) *hostileIdP {
	t.Helper()
	idp := &hostileIdP{t: t, key: newKey(t), discoveryExtra: discoveryExtra}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", idp.discovery)
	mux.HandleFunc("GET /jwks", idp.jwks)
	mux.HandleFunc("POST /token", idp.tokenEndpoint)
	mux.HandleFunc("GET /userinfo", idp.userinfoEndpoint)
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	return idp
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (i *hostileIdP) issuer() string { return i.srv.URL }

func (i *hostileIdP) discovery(w http.ResponseWriter, _ *http.Request) {
	doc := map[string]any{
		"issuer":                                i.issuer(),
		"authorization_endpoint":                i.issuer() + "/authorize",
		"token_endpoint":                        i.issuer() + "/token",
		"jwks_uri":                              i.issuer() + "/jwks",
		"userinfo_endpoint":                     i.issuer() + "/userinfo",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
	}
	for k, v := range i.discoveryExtra {
		if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	writeJSON(w, http.StatusOK, doc)
}

func (i *hostileIdP) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &i.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"},
	}})
}

func (i *hostileIdP) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.tokenForm = r.PostForm
	i.tokenUser, i.tokenPass, _ = r.BasicAuth()
	i.token(w)
}

func (i *hostileIdP) userinfoEndpoint(w http.ResponseWriter, _ *http.Request) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.userinfo == nil {
		http.NotFound(w, nil)
		return
	}
	writeJSON(w, http.StatusOK, i.userinfo)
}

// sign makes a compact JWS of claims with key.
func sign(t testing.TB, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// atHash is the OIDC Core 3.1.3.6 at_hash for an ES256-signed ID token.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
