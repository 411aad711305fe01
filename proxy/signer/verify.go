package signer

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"unsafe"

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
	sigLen       = 64
)

var b64Strict = b64.Strict()

// Verify checks a compact JWS signed by one of our keys and returns its
// payload. It requires alg ES256 and a typ header equal to wantTyp (case
// insensitively, with or without the "application/" prefix, RFC 7515
// §4.1.9); an empty wantTyp requires no typ. Claims (exp, aud, iss, ...) are
// the caller's to check.
//
// An unknown kid triggers a store reload at most once per RefreshInterval,
// so a token from a key another replica just created verifies without
// letting junk kids hammer the store.
func (m *Manager) Verify(token string, wantTyp string) ([]byte, error) {
	if len(token) > maxTokenLen {
		return nil, errTooLarge
	}
	// One pass rejects anything outside base64url: the decoder would
	// otherwise skip \r and \n, making distinct strings verify alike.
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
	if dot2 < 0 {
		return nil, errMalformed
	}
	rawHeader, rawPayload, rawSig := token[:dot1], token[dot1+1:dot2], token[dot2+1:]

	if b64.DecodedLen(len(rawHeader)) > maxHeaderLen {
		return nil, errMalformed
	}
	var hbuf [maxHeaderLen]byte
	n, err := b64Strict.Decode(hbuf[:], stringBytes(rawHeader))
	if err != nil {
		return nil, errMalformed
	}
	// parseHeader pins alg to ES256 before anything else so that none,
	// HS256 keyed with our public key, and friends never reach a key lookup.
	kid, typ, err := parseHeader(hbuf[:n])
	if err != nil {
		return nil, err
	}
	if !typMatches(typ, wantTyp) {
		return nil, errTyp
	}
	if b64.DecodedLen(len(rawSig)) != sigLen {
		return nil, errBadSignature
	}
	var sig [sigLen]byte
	if _, err := b64Strict.Decode(sig[:], stringBytes(rawSig)); err != nil {
		return nil, errBadSignature
	}
	if len(kid) == 0 {
		return nil, errUnknownKey
	}
	e := m.verificationKey(kid)
	if e == nil {
		return nil, errUnknownKey
	}
	digest := sha256.Sum256(stringBytes(token[:dot2]))
	var der [2 + 2*(2+1+sigLen/2)]byte
	if !ecdsa.VerifyASN1(e.pub, digest[:], rawToASN1(&der, &sig)) {
		return nil, errBadSignature
	}
	payload := make([]byte, b64.DecodedLen(len(rawPayload)))
	n, err = b64Strict.Decode(payload, stringBytes(rawPayload))
	if err != nil {
		return nil, errMalformed
	}
	return payload[:n], nil
}

// stringBytes views s as bytes without copying. Only for read-only callees
// (base64 decoding, hashing) that do not retain the slice.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// The header Sign writes, split around the kid and typ values. Verify
// matches it byte for byte before falling back to a JSON decoder, which
// saves the decoder's allocations on every request for our own tokens.
const (
	canonicalPrefix = `{"alg":"ES256","kid":"`
	canonicalMiddle = `","typ":"`
	canonicalSuffix = `"}`
)

// parseHeader returns the kid and typ of a protected header whose alg is
// ES256 and that has no crit. kid and typ may alias b.
func parseHeader(b []byte) (kid, typ []byte, err error) {
	if kid, typ, ok := parseCanonicalHeader(b); ok {
		return kid, typ, nil
	}
	return parseHeaderJSON(b)
}

// parseCanonicalHeader recognizes exactly the header Sign writes. The
// accepted form is a JSON object with three members and no escapes, so it
// reads the same under any JSON parser; anything else is left to
// parseHeaderJSON.
func parseCanonicalHeader(b []byte) (kid, typ []byte, ok bool) {
	if len(b) < len(canonicalPrefix) || string(b[:len(canonicalPrefix)]) != canonicalPrefix {
		return nil, nil, false
	}
	rest := b[len(canonicalPrefix):]
	i := 0
	for i < len(rest) && isBase64URL(rest[i]) {
		i++
	}
	kid, rest = rest[:i], rest[i:]
	if len(rest) < len(canonicalMiddle) || string(rest[:len(canonicalMiddle)]) != canonicalMiddle {
		return nil, nil, false
	}
	rest = rest[len(canonicalMiddle):]
	i = 0
	// Printable ASCII without the quote and backslash: no escapes to decode.
	for i < len(rest) && rest[i] >= 0x20 && rest[i] < 0x7f && rest[i] != '"' && rest[i] != '\\' {
		i++
	}
	typ, rest = rest[:i], rest[i:]
	if string(rest) != canonicalSuffix {
		return nil, nil, false
	}
	return kid, typ, true
}

// jsonHeader is what parseHeaderJSON reads. go-jose's JSON decoder matches
// names case-sensitively and rejects duplicate members, so
// {"alg":"ES256","alg":"none"} cannot be read two ways.
type jsonHeader struct {
	Alg  string               `json:"alg"`
	Kid  string               `json:"kid"`
	Typ  string               `json:"typ"`
	Crit *josejson.RawMessage `json:"crit"`
}

func parseHeaderJSON(b []byte) (kid, typ []byte, err error) {
	var h jsonHeader
	// The copy keeps the caller's stack buffer from escaping to the heap.
	if err := josejson.Unmarshal(bytes.Clone(b), &h); err != nil {
		return nil, nil, errMalformed
	}
	if h.Alg != algES256 {
		return nil, nil, errAlg
	}
	// We implement no extension, so any critical one must be refused
	// (RFC 7515 §4.1.11).
	if h.Crit != nil {
		return nil, nil, errCrit
	}
	return []byte(h.Kid), []byte(h.Typ), nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

const mediaTypePrefix = "application/"

// typMatches compares media types the RFC 7515 §4.1.9 way: case
// insensitively, with the "application/" prefix optional.
func typMatches(got []byte, want string) bool {
	return bytes.EqualFold(trimMediaType(got), trimMediaType(stringBytes(want)))
}

func trimMediaType(t []byte) []byte {
	if len(t) >= len(mediaTypePrefix) && bytes.EqualFold(t[:len(mediaTypePrefix)], stringBytes(mediaTypePrefix)) {
		return t[len(mediaTypePrefix):]
	}
	return t
}

// verificationKey returns the unexpired key with kid from the cache, falling
// back to a rate-limited store reload.
func (m *Manager) verificationKey(kidBytes []byte) *entry {
	if e := m.snap.Load().keyBytes(kidBytes, m.opts.Now()); e != nil {
		return e
	}
	kid := string(kidBytes)
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

// rawToASN1 converts a JWS r||s signature to the DER form crypto/ecdsa
// verifies, in buf, without the big.Int round trip of ecdsa.Verify.
func rawToASN1(buf *[2 + 2*(2+1+sigLen/2)]byte, sig *[sigLen]byte) []byte {
	out := append(buf[:0], 0x30, 0)
	out = appendASN1Uint(out, sig[:sigLen/2])
	out = appendASN1Uint(out, sig[sigLen/2:])
	// At most 70 content bytes, so the short length form always fits.
	out[1] = byte(len(out) - 2)
	return out
}

// appendASN1Uint appends the big-endian unsigned b as a minimal DER INTEGER.
func appendASN1Uint(dst, b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	pad := b[0]&0x80 != 0
	n := len(b)
	if pad {
		n++
	}
	dst = append(dst, 0x02, byte(n))
	if pad {
		dst = append(dst, 0)
	}
	return append(dst, b...)
}
