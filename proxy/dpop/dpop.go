// Package dpop verifies DPoP proofs (RFC 9449): a JWT the client signs
// with a key it holds, for one HTTP request (method and URL), at one time,
// once, and for one access token (ath). A token bound to the key (cnf.jkt)
// is then useless to whoever steals it without the key.
package dpop

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Algorithms are the proof algorithms accepted and advertised
// (dpop_signing_alg_values_supported): asymmetric only.
var Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.EdDSA}

// AlgorithmNames are Algorithms as strings, for metadata and challenges.
func AlgorithmNames() []string {
	out := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		out[i] = string(a)
	}
	return out
}

// The acceptance window of a proof's iat: proofs are made for the request
// at hand, so one older than MaxAge, or more than MaxSkew ahead, is
// refused; a replay cache must hold jtis for Window.
const (
	MaxAge  = 5 * time.Minute
	MaxSkew = time.Minute
	Window  = MaxAge + MaxSkew
)

var (
	// ErrInvalid is a proof that fails a check (RFC 9449 error
	// invalid_dpop_proof).
	ErrInvalid = errors.New("dpop: invalid proof")
	// ErrUseNonce is a proof without the server's current nonce
	// (use_dpop_nonce): the client retries with the one sent.
	ErrUseNonce = errors.New("dpop: the server's nonce is required")
)

// Expect is what the proof must be for.
type Expect struct {
	Method string
	// URL is the request's target URI as the client addressed it; query
	// and fragment are ignored (RFC 9449 §4.3).
	URL string
	// AccessToken, when set, must be the proof's ath (at a resource
	// server).
	AccessToken string
	// Nonce, when set, checks the proof's nonce; nil requires none.
	Nonce func(string) bool
}

// Proof is a verified proof.
type Proof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's key, which a
	// bound token's cnf.jkt names.
	JKT      string
	JTI      string
	IssuedAt time.Time
}

type claims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   *int64 `json:"iat"`
	ATH   string `json:"ath"`
	Nonce string `json:"nonce"`
}

// maxProofSize bounds what is parsed: a proof is a few hundred bytes (an
// RSA key makes it about a kilobyte).
const maxProofSize = 8 << 10

// Verify checks proof against e at now.
func Verify(proof string, e Expect, now time.Time) (Proof, error) {
	if len(proof) > maxProofSize {
		return Proof{}, fmt.Errorf("%w: too large", ErrInvalid)
	}
	payload, jkt, err := verifySignature(proof)
	if err != nil {
		return Proof{}, err
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Proof{}, fmt.Errorf("%w: claims are not a JSON object", ErrInvalid)
	}
	switch {
	case c.JTI == "" || len(c.JTI) > 256:
		return Proof{}, fmt.Errorf("%w: jti missing", ErrInvalid)
	case c.IAT == nil:
		return Proof{}, fmt.Errorf("%w: iat missing", ErrInvalid)
	case c.HTM != e.Method:
		return Proof{}, fmt.Errorf("%w: htm is not %s", ErrInvalid, e.Method)
	case !sameTarget(c.HTU, e.URL):
		return Proof{}, fmt.Errorf("%w: htu is not this request's URL", ErrInvalid)
	}
	iat := time.Unix(*c.IAT, 0)
	if iat.Before(now.Add(-MaxAge)) || iat.After(now.Add(MaxSkew)) {
		return Proof{}, fmt.Errorf("%w: iat outside the acceptance window", ErrInvalid)
	}
	if e.AccessToken != "" {
		sum := sha256.Sum256([]byte(e.AccessToken))
		if !hmac.Equal([]byte(c.ATH), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))) {
			return Proof{}, fmt.Errorf("%w: ath does not match the access token", ErrInvalid)
		}
	}
	if e.Nonce != nil && !e.Nonce(c.Nonce) {
		return Proof{}, ErrUseNonce
	}
	return Proof{JKT: jkt, JTI: c.JTI, IssuedAt: iat}, nil
}

// verifySignature checks the proof's header and signature and returns
// its payload and its key's thumbprint. go-jose checks a header the
// first time it is seen; a client sends the same header (its algorithm
// and key) on every proof, so the key it carries is kept by the header's
// exact bytes, and later proofs with it only have their ECDSA signature
// checked, with the standard library. That halves the cost of a proof
// (BenchmarkVerify).
func verifySignature(proof string) (payload []byte, jkt string, err error) {
	header, rest, ok := strings.Cut(proof, ".")
	body, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.Contains(sig, ".") {
		return nil, "", fmt.Errorf("%w: not a compact JWS", ErrInvalid)
	}
	if k, ok := headers.get(header); ok {
		if !k.verify(proof[:len(header)+1+len(body)], sig) {
			return nil, "", fmt.Errorf("%w: bad signature", ErrInvalid)
		}
		payload, err := base64.RawURLEncoding.Strict().DecodeString(body)
		if err != nil {
			return nil, "", fmt.Errorf("%w: payload is not base64url", ErrInvalid)
		}
		return payload, k.jkt, nil
	}
	jws, err := jose.ParseSignedCompact(proof, Algorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, "", fmt.Errorf("%w: not a JWS with an asymmetric algorithm", ErrInvalid)
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return nil, "", fmt.Errorf("%w: typ is not dpop+jwt", ErrInvalid)
	}
	key := h.JSONWebKey
	if key == nil || !key.Valid() || !key.IsPublic() {
		return nil, "", fmt.Errorf("%w: the header carries no public jwk", ErrInvalid)
	}
	payload, err = jws.Verify(key)
	if err != nil {
		return nil, "", fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	if jkt, err = Thumbprint(key); err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	headers.put(header, key, jose.SignatureAlgorithm(h.Algorithm), jkt)
	return payload, jkt, nil
}

// Thumbprint is the base64url RFC 7638 SHA-256 thumbprint of key.
func Thumbprint(key *jose.JSONWebKey) (string, error) {
	t, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("dpop: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(t), nil
}

// sameTarget compares URIs as RFC 9449 §4.3 says: without query and
// fragment, scheme and host case-insensitively, a default port the same
// as none.
func sameTarget(a, b string) bool {
	na, okA := normalize(a)
	nb, okB := normalize(b)
	return okA && okB && na == nb
}

func normalize(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// Nonces are server-provided nonces (RFC 9449 §8) that every replica
// knows without sharing state: an HMAC of the time window under a secret
// they share. A nonce is good in its window and the next.
type Nonces struct {
	key    []byte
	window time.Duration
}

// NewNonces derives the nonce key from secret.
func NewNonces(secret []byte, window time.Duration) *Nonces {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("mcpgate dpop nonce"))
	return &Nonces{key: mac.Sum(nil), window: window}
}

func (n *Nonces) at(i int64) string {
	mac := hmac.New(sha256.New, n.key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	mac.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}

// Current is the nonce to send now.
func (n *Nonces) Current(now time.Time) string { return n.at(now.UnixNano() / int64(n.window)) }

// Valid reports whether nonce is this window's or the last's.
func (n *Nonces) Valid(nonce string, now time.Time) bool {
	i := now.UnixNano() / int64(n.window)
	return nonce != "" && (hmac.Equal([]byte(nonce), []byte(n.at(i))) || hmac.Equal([]byte(nonce), []byte(n.at(i-1))))
}
