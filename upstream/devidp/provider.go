package devidp

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configure a Provider. There is exactly one registered client:
// the demo has exactly one relying party, mcpgate itself.
type Options struct {
	// Issuer is the provider's base URL, e.g. http://127.0.0.1:9401. It is
	// advertised verbatim, and its path (if any) prefixes every endpoint.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURIs are compared with the request's redirect_uri exactly.
	RedirectURIs []string
	// Now is the clock for every lifetime; default time.Now.
	Now func() time.Time
	// Logger receives sign-ins and refusals; default discards.
	Logger *slog.Logger
}

const (
	maxBody    = 64 << 10
	pendingTTL = 10 * time.Minute
	codeTTL    = 60 * time.Second
	tokenTTL   = 10 * time.Minute
	// maxEntries bounds each in-memory table: GET /authorize needs no
	// credentials, so without a bound anyone could grow the pending table.
	maxEntries = 10000
	// maxParam bounds state and nonce, which are stored and echoed.
	maxParam = 1024
)

// Provider is the development OpenID Provider, an http.Handler.
type Provider struct {
	issuer        string
	base          string // issuer without a trailing slash
	clientID      string
	secretDigest  [sha256.Size]byte
	redirectURIs  []string
	now           func() time.Time
	log           *slog.Logger
	key           *signingKey
	discovery     []byte
	authorizePath string
	secureCookie  bool
	mux           *http.ServeMux

	mu        sync.Mutex
	pending   map[string]*pendingAuth // by id
	codes     map[string]*authCode    // by digest of the code
	tokens    map[string]*accessGrant // by digest of the token
	lastPrune time.Time
}

// authRequest is what the client asked for at /authorize, carried
// server-side so the login form cannot alter it.
type authRequest struct {
	clientID, redirectURI, scope, state, nonce, challenge string
}

type pendingAuth struct {
	req     authRequest
	csrf    string
	expires time.Time
}

// user is who the person at the login form claimed to be.
type user struct {
	sub, email, name string
	groups           []string
	authTime         time.Time
}

type authCode struct {
	req      authRequest
	user     user
	expires  time.Time
	redeemed bool
	// tokenKey is the access token issued for this code, revoked if the
	// code is replayed (RFC 6749 section 4.1.2).
	tokenKey string
}

type accessGrant struct {
	clientID string
	user     user
	expires  time.Time
}

// New validates opts and generates the provider's signing key.
func New(opts Options) (*Provider, error) {
	iss, err := url.Parse(opts.Issuer)
	if err != nil {
		return nil, fmt.Errorf("devidp: issuer: %w", err)
	}
	if (iss.Scheme != "http" && iss.Scheme != "https") || iss.Host == "" ||
		iss.User != nil || iss.RawQuery != "" || iss.Fragment != "" || strings.Contains(opts.Issuer, "#") {
		return nil, fmt.Errorf("devidp: issuer %q must be an http(s) URL without userinfo, query or fragment", opts.Issuer)
	}
	basePath := strings.TrimSuffix(iss.Path, "/")
	// The path becomes part of ServeMux patterns, where braces and the like
	// are syntax.
	if strings.ContainsFunc(basePath, func(r rune) bool { return !strings.ContainsRune(pathChars, r) }) {
		return nil, fmt.Errorf("devidp: issuer path %q has characters other than letters, digits and -._~/", iss.Path)
	}
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return nil, errors.New("devidp: client id and secret are required")
	}
	if len(opts.RedirectURIs) == 0 {
		return nil, errors.New("devidp: at least one redirect URI is required")
	}
	for _, r := range opts.RedirectURIs {
		u, err := url.Parse(r)
		// RFC 6749 section 3.1.2: absolute, no fragment.
		if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(r, "#") {
			return nil, fmt.Errorf("devidp: redirect URI %q must be absolute without a fragment", r)
		}
	}
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	p := &Provider{
		issuer:        opts.Issuer,
		base:          strings.TrimSuffix(opts.Issuer, "/"),
		clientID:      opts.ClientID,
		secretDigest:  sha256.Sum256([]byte(opts.ClientSecret)),
		redirectURIs:  append([]string(nil), opts.RedirectURIs...),
		now:           opts.Now,
		log:           opts.Logger,
		key:           key,
		authorizePath: basePath + "/authorize",
		secureCookie:  iss.Scheme == "https",
		pending:       map[string]*pendingAuth{},
		codes:         map[string]*authCode{},
		tokens:        map[string]*accessGrant{},
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.discovery, err = p.discoveryDocument(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+basePath+"/.well-known/openid-configuration", p.serveDiscovery)
	mux.HandleFunc("GET "+basePath+"/authorize", p.serveAuthorize)
	mux.HandleFunc("POST "+basePath+"/authorize", p.serveLoginSubmit)
	mux.HandleFunc("POST "+basePath+"/token", p.serveToken)
	mux.HandleFunc("GET "+basePath+"/jwks", p.serveJWKS)
	mux.HandleFunc("GET "+basePath+"/userinfo", p.serveUserInfo)
	mux.HandleFunc("POST "+basePath+"/userinfo", p.serveUserInfo)
	p.mux = mux
	return p, nil
}

const pathChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/"

// ServeHTTP implements http.Handler.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Set on every response, JSON included: harmless there, and no page can
	// then forget them.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// The login page's URL carries state and nonce.
	h.Set("Referrer-Policy", "no-referrer")
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	p.mux.ServeHTTP(w, r)
}

func (p *Provider) endpoint(path string) string { return p.base + path }

// pruneLocked drops expired entries, at most once a second so that a busy
// table is not rescanned on every request.
func (p *Provider) pruneLocked(now time.Time) {
	if now.Sub(p.lastPrune) < time.Second && now.After(p.lastPrune) {
		return
	}
	p.lastPrune = now
	for k, v := range p.pending {
		if !now.Before(v.expires) {
			delete(p.pending, k)
		}
	}
	for k, v := range p.codes {
		if !now.Before(v.expires) {
			delete(p.codes, k)
		}
	}
	for k, v := range p.tokens {
		if !now.Before(v.expires) {
			delete(p.tokens, k)
		}
	}
}

// randomToken returns 256 bits of randomness, base64url: enough that codes,
// tokens and ids cannot be guessed.
func randomToken() string {
	b := make([]byte, 32)
	// crypto/rand.Read never returns an error (it crashes the program
	// instead), per its documentation.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// digest keys the code and token tables, so that neither a table dump nor a
// lookup's timing reveals a usable credential.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return string(sum[:])
}

// equalSecret compares in constant time, lengths included.
func equalSecret(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// single returns the one value of key; a repeated parameter is ambiguous
// and refused (RFC 6749 section 3.1).
func single(v url.Values, key string) (string, bool) {
	switch len(v[key]) {
	case 0:
		return "", true
	case 1:
		return v[key][0], true
	default:
		return "", false
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// oauthError is an RFC 6749 section 5.2 error response.
type oauthError struct {
	status int
	Code   string `json:"error"`
	Desc   string `json:"error_description,omitempty"`
}

func newOAuthError(status int, code, desc string) *oauthError {
	return &oauthError{status: status, Code: code, Desc: desc}
}

func (e *oauthError) write(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if e.status == http.StatusUnauthorized {
		// RFC 6749 section 5.2: required when the client tried Basic.
		w.Header().Set("WWW-Authenticate", `Basic realm="devidp"`)
	}
	writeJSON(w, e.status, e)
}

// isTooLarge reports whether err came from the body limit.
func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
