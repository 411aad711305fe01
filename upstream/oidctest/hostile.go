package oidctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// What Hostile.ValidClaims asserts about its one user, and the access token
// its scripted token responses carry.
const (
	HostileSubject     = "hostile-user"
	HostileEmail       = "hostile-user@example.com"
	HostileName        = "Hostile User"
	HostileAccessToken = "hostile-access-token"
)

// HostileOptions describe the client registered at a Hostile IdP.
type HostileOptions struct {
	// ClientID defaults to "mcpgate-test"; /authorize refuses any other.
	ClientID string
	// RedirectURIs are matched exactly by /authorize.
	RedirectURIs []string
	// DiscoveryExtra is merged into the discovery document; a nil value
	// deletes the key (e.g. "userinfo_endpoint").
	DiscoveryExtra map[string]any
	// Path is the issuer's path ("/realms/acme", "/common/v2.0"); every
	// endpoint lives under it.
	Path string
}

// AuthorizeRequest is what the IdP received at /authorize.
type AuthorizeRequest struct {
	ClientID, RedirectURI, State, Nonce, CodeChallenge string
}

// Hostile is an OpenID Provider whose ID tokens a test scripts, so that it
// can send back whatever a compromised or confused IdP (or an attacker in
// the middle of the callback) would. Its /authorize has no login page: it
// redirects straight back with a code. Until scripted, the token endpoint
// answers with a valid ID token (ValidClaims, signed with Key). All methods
// are safe for concurrent use.
type Hostile struct {
	tb        testing.TB
	srv       *httptest.Server
	key       *ecdsa.PrivateKey
	clientID  string
	redirects []string
	discovery map[string]any
	issParam  bool
	path      string

	mu        sync.Mutex
	token     func(w http.ResponseWriter, req AuthorizeRequest)
	userinfo  map[string]any
	lastAuthz *AuthorizeRequest
	codes     map[string]AuthorizeRequest
	tokenForm url.Values
	tokenUser string
	tokenPass string
}

// StartHostile runs a Hostile IdP on a random 127.0.0.1 port until the test
// ends.
func StartHostile(tb testing.TB, opts HostileOptions) *Hostile {
	tb.Helper()
	if opts.ClientID == "" {
		opts.ClientID = "mcpgate-test"
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	h := &Hostile{
		tb: tb, key: key, clientID: opts.ClientID,
		redirects: slices.Clone(opts.RedirectURIs),
		discovery: maps.Clone(opts.DiscoveryExtra),
		codes:     map[string]AuthorizeRequest{},
		path:      strings.TrimSuffix(opts.Path, "/"),
	}
	h.issParam, _ = h.discovery["authorization_response_iss_parameter_supported"].(bool)
	h.SetIDToken(func(req AuthorizeRequest) string { return h.Sign(h.key, h.ValidClaims(req)) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+h.path+"/.well-known/openid-configuration", h.discoveryEndpoint)
	mux.HandleFunc("GET "+h.path+"/jwks", h.jwks)
	mux.HandleFunc("GET "+h.path+"/authorize", h.authorize)
	mux.HandleFunc("POST "+h.path+"/token", h.tokenEndpoint)
	mux.HandleFunc("GET "+h.path+"/userinfo", h.userinfoEndpoint)
	h.srv = httptest.NewServer(mux)
	tb.Cleanup(h.srv.Close)
	return h
}

// Issuer is the IdP's issuer URL (http://127.0.0.1:port and the Path, no
// trailing slash).
func (h *Hostile) Issuer() string { return h.srv.URL + h.path }

// Base is the IdP's URL without the Path.
func (h *Hostile) Base() string { return h.srv.URL }

// Key is the IdP's signing key, published in its JWKS.
func (h *Hostile) Key() *ecdsa.PrivateKey { return h.key }

// Sign makes a compact ES256 JWS of claims with key (use another key than
// Key for a bad signature). It may run on the IdP's goroutines, so a failure
// is reported with Errorf and yields "".
func (h *Hostile) Sign(key *ecdsa.PrivateKey, claims map[string]any) string {
	out, err := sign(key, claims)
	if err != nil {
		h.tb.Errorf("oidctest: sign: %v", err)
	}
	return out
}

// SignWithKid is Sign with another kid in the header than the IdP's
// own: the JWKS kid games.
func (h *Hostile) SignWithKid(key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	out, err := signWithKid(key, kid, claims)
	if err != nil {
		h.tb.Errorf("oidctest: sign: %v", err)
	}
	return out
}

// SignTyped is Sign with another typ than JWT (an ID-JAG's
// oauth-id-jag+jwt).
func (h *Hostile) SignTyped(key *ecdsa.PrivateKey, typ string, claims map[string]any) string {
	out, err := signJWS(key, "k1", typ, claims)
	if err != nil {
		h.tb.Errorf("oidctest: sign: %v", err)
	}
	return out
}

func sign(key *ecdsa.PrivateKey, claims map[string]any) (string, error) {
	return signWithKid(key, "k1", claims)
}

func signWithKid(key *ecdsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	return signJWS(key, kid, "JWT", claims)
}

func signJWS(key *ecdsa.PrivateKey, kid, typ string, claims map[string]any) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", kid))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// ValidClaims are the claims of a valid ID token answering req, for tests to
// tweak: iss, aud (the client id), sub, iat, exp (in 5 minutes), nonce,
// email, email_verified and name. A fresh map each call.
func (h *Hostile) ValidClaims(req AuthorizeRequest) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss":            h.Issuer(),
		"aud":            h.clientID,
		"sub":            HostileSubject,
		"iat":            now.Unix(),
		"exp":            now.Add(5 * time.Minute).Unix(),
		"nonce":          req.Nonce,
		"email":          HostileEmail,
		"email_verified": true,
		"name":           HostileName,
	}
}

// SetToken scripts the token endpoint's whole answer.
func (h *Hostile) SetToken(f func(w http.ResponseWriter)) {
	h.setToken(func(w http.ResponseWriter, _ AuthorizeRequest) { f(w) })
}

// SetTokenFor scripts the token endpoint's whole answer, knowing the
// authorize request behind the code (zero for other grants); the form is
// LastTokenRequest's.
func (h *Hostile) SetTokenFor(f func(w http.ResponseWriter, req AuthorizeRequest)) { h.setToken(f) }

// SetIDToken scripts the ID token: the token endpoint answers 200 with
// access_token HostileAccessToken, token_type Bearer, expires_in and
// id_token f(req) (left out when ""). req is the authorize request that
// issued the code being redeemed, else the most recent one, else zero.
func (h *Hostile) SetIDToken(f func(req AuthorizeRequest) string) {
	h.setToken(func(w http.ResponseWriter, req AuthorizeRequest) {
		body := map[string]any{"access_token": HostileAccessToken, "token_type": "Bearer", "expires_in": 3600}
		if idt := f(req); idt != "" {
			body["id_token"] = idt
		}
		WriteJSON(w, http.StatusOK, body)
	})
}

func (h *Hostile) setToken(f func(http.ResponseWriter, AuthorizeRequest)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.token = f
}

// SetUserinfo sets the userinfo response body; nil (the default) means 404.
func (h *Hostile) SetUserinfo(body map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.userinfo = maps.Clone(body)
}

// LastTokenRequest is the form and basic auth credentials of the last token
// request (zero before any).
func (h *Hostile) LastTokenRequest() (form url.Values, basicUser, basicPass string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.tokenForm), h.tokenUser, h.tokenPass
}

// LastAuthorizeRequest is the last request /authorize redirected back, and
// whether there was one.
func (h *Hostile) LastAuthorizeRequest() (AuthorizeRequest, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lastAuthz == nil {
		return AuthorizeRequest{}, false
	}
	return *h.lastAuthz, true
}

// AtHash is the OIDC Core 3.1.3.6 at_hash of accessToken for an ES256 ID
// token.
func AtHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// WriteJSON writes v as a JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *Hostile) discoveryEndpoint(w http.ResponseWriter, _ *http.Request) {
	iss := h.Issuer()
	doc := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"jwks_uri":                              iss + "/jwks",
		"userinfo_endpoint":                     iss + "/userinfo",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
	}
	for k, v := range h.discovery {
		if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	WriteJSON(w, http.StatusOK, doc)
}

func (h *Hostile) jwks(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &h.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"},
	}})
}

// authorize records the request and redirects straight back with a code;
// an unknown client or redirect URI gets a 400, never a redirect.
func (h *Hostile) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := AuthorizeRequest{
		ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		State: q.Get("state"), Nonce: q.Get("nonce"), CodeChallenge: q.Get("code_challenge"),
	}
	if req.ClientID != h.clientID {
		http.Error(w, "oidctest: unknown client_id", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(req.RedirectURI)
	if err != nil || !slices.Contains(h.redirects, req.RedirectURI) {
		http.Error(w, "oidctest: unregistered redirect_uri", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	h.mu.Lock()
	h.codes[code] = req
	h.lastAuthz = &req
	h.mu.Unlock()

	bq := back.Query()
	bq.Set("code", code)
	if req.State != "" {
		bq.Set("state", req.State)
	}
	if h.issParam {
		bq.Set("iss", h.Issuer())
	}
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (h *Hostile) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.tokenForm = r.PostForm
	h.tokenUser, h.tokenPass, _ = r.BasicAuth()
	req, ok := h.codes[r.PostForm.Get("code")]
	if !ok && h.lastAuthz != nil {
		req = *h.lastAuthz
	}
	token := h.token
	h.mu.Unlock()
	// Unlocked: the script may call back into h.
	token(w, req)
}

func (h *Hostile) userinfoEndpoint(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	body := h.userinfo
	h.mu.Unlock()
	if body == nil {
		http.NotFound(w, nil)
		return
	}
	WriteJSON(w, http.StatusOK, body)
}
