package signer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"
)

// ErrInvalidToken is wrapped by every error Verify returns for a token that
// is not acceptable (as opposed to an internal failure).
var ErrInvalidToken = errors.New("signer: invalid token")

// The rejection errors are fixed values: Verify runs on every request, and
// echoing attacker-chosen header values into errors and logs buys nothing.
var (
	errMalformed    = fmt.Errorf("%w: malformed", ErrInvalidToken)
	errTooLarge     = fmt.Errorf("%w: too large", ErrInvalidToken)
	errAlg          = fmt.Errorf("%w: algorithm not allowed", ErrInvalidToken)
	errCrit         = fmt.Errorf("%w: unsupported critical header", ErrInvalidToken)
	errTyp          = fmt.Errorf("%w: wrong typ", ErrInvalidToken)
	errUnknownKey   = fmt.Errorf("%w: unknown key", ErrInvalidToken)
	errBadSignature = fmt.Errorf("%w: bad signature", ErrInvalidToken)
)

const (
	// maxTokenLen bounds work done on unauthenticated input; generous enough
	// for access tokens carrying long group lists.
	maxTokenLen = 64 << 10
	// maxHeaderLen: our headers are ~100 bytes; a larger one is not ours.
	maxHeaderLen = 512
)

// anyAlgorithm lets go-jose parse whatever alg a token names, so that
// Verify, not the parser, refuses all but ES256 with errAlg.
var anyAlgorithm = []jose.SignatureAlgorithm{
	jose.EdDSA, jose.HS256, jose.HS384, jose.HS512, jose.RS256, jose.RS384, jose.RS512,
	jose.ES256, jose.ES384, jose.ES512, jose.PS256, jose.PS384, jose.PS512,
}

// Verify checks a compact JWS signed by one of our keys and returns its
// payload. It requires alg ES256 and a typ header equal to wantTyp (case
// insensitively, with or without the "application/" prefix, RFC 7515
// §4.1.9); an empty wantTyp requires no typ. Claims (exp, aud, iss, ...) are
// the caller's to check. go-jose parses and verifies; before it, Verify
// refuses what go-jose would read leniently: anything outside base64url
// (its decoder skips \r and \n) and base64 with stray trailing bits, so
// that one token has one spelling.
//
// An unknown kid triggers a store reload at most once per RefreshInterval,
// so a token from a key another replica just created verifies without
// letting junk kids hammer the store.
func (m *Manager) Verify(token string, wantTyp string) ([]byte, error) {
	if len(token) > maxTokenLen {
		return nil, errTooLarge
	}
	dot1, dot2 := -1, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch {
		case isBase64URL(c):
		case c == '.' && dot1 < 0:
			dot1 = i
		case c == '.' && dot2 < 0:
			dot2 = i
		default:
			return nil, errMalformed
		}
	}
	if dot2 < 0 || dot1 == 0 || !canonicalBase64(token[:dot1]) || !canonicalBase64(token[dot1+1:dot2]) {
		return nil, errMalformed
	}
	if !canonicalBase64(token[dot2+1:]) {
		return nil, errBadSignature
	}
	if base64.RawURLEncoding.DecodedLen(dot1) > maxHeaderLen {
		return nil, errMalformed
	}
	jws, err := jose.ParseSignedCompact(token, anyAlgorithm)
	if err != nil {
		return nil, parseFailure(token[:dot1])
	}
	h := jws.Signatures[0].Protected
	// alg is pinned before any key lookup, so that none, HS256 keyed with
	// our public key, and friends never reach one.
	if h.Algorithm != string(jose.ES256) {
		return nil, errAlg
	}
	// We implement no extension, so any critical one is refused (RFC 7515
	// §4.1.11); go-jose would accept an empty list, and b64.
	if _, ok := h.ExtraHeaders["crit"]; ok {
		return nil, errCrit
	}
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if _, isString := h.ExtraHeaders[jose.HeaderType].(string); !isString && h.ExtraHeaders[jose.HeaderType] != nil {
		return nil, errTyp
	}
	if !typMatches(typ, wantTyp) {
		return nil, errTyp
	}
	if h.KeyID == "" {
		return nil, errUnknownKey
	}
	e := m.verificationKey(h.KeyID)
	if e == nil {
		return nil, errUnknownKey
	}
	payload, err := jws.Verify(e.pub)
	if err != nil {
		return nil, errBadSignature
	}
	return payload, nil
}

// parseFailure says why go-jose could not parse a token: a well-formed
// header (go-jose's JSON reader: names case-sensitive, no duplicates)
// with no alg, or naming one go-jose does not know (none included), is
// errAlg; anything else errMalformed.
func parseFailure(rawHeader string) error {
	header, err := base64.RawURLEncoding.DecodeString(rawHeader)
	if err != nil {
		return errMalformed
	}
	var h struct {
		Alg any `json:"alg"`
	}
	if josejson.Unmarshal(header, &h) != nil {
		return errMalformed
	}
	if _, named := h.Alg.(string); named || h.Alg == nil {
		return errAlg
	}
	return errMalformed
}

// canonicalBase64 reports whether s is unpadded base64url whose last
// character carries no bits past the data: base64.RawURLEncoding decodes
// "AB" and "AC" alike, and Strict() is what tells them apart.
func canonicalBase64(s string) bool {
	switch len(s) % 4 {
	case 1:
		return false
	case 2:
		return b64Value(s[len(s)-1])&0x0f == 0
	case 3:
		return b64Value(s[len(s)-1])&0x03 == 0
	}
	return true
}

func b64Value(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A'
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26
	case '0' <= c && c <= '9':
		return c - '0' + 52
	case c == '-':
		return 62
	}
	return 63 // '_'
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

const mediaTypePrefix = "application/"

// typMatches compares media types the RFC 7515 §4.1.9 way: case
// insensitively, with the "application/" prefix optional.
func typMatches(got, want string) bool {
	return strings.EqualFold(trimMediaType(got), trimMediaType(want))
}

func trimMediaType(t string) string {
	if len(t) >= len(mediaTypePrefix) && strings.EqualFold(t[:len(mediaTypePrefix)], mediaTypePrefix) {
		return t[len(mediaTypePrefix):]
	}
	return t
}

// verificationKey returns the unexpired key with kid from the cache, falling
// back to a rate-limited store reload.
func (m *Manager) verificationKey(kid string) *entry {
	if e := m.snap.Load().key(kid, m.opts.Now()); e != nil {
		return e
	}
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	now := m.opts.Now()
	// A reload that finished while we waited may have brought it.
	if e := m.snap.Load().key(kid, now); e != nil {
		return e
	}
	if !m.lastMissReload.IsZero() && now.Sub(m.lastMissReload) < m.opts.RefreshInterval {
		return nil
	}
	m.lastMissReload = now
	// Verify has no context of its own; reloadLocked bounds the wait.
	if _, err := m.reloadLocked(context.Background()); err != nil {
		m.log.Warn("signer: reload signing keys for unknown kid", "err", err)
		return nil
	}
	return m.snap.Load().key(kid, m.opts.Now())
}
