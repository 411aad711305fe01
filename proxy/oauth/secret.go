package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// NewSecret returns 256 random bits, base64url encoded: codes, refresh
// tokens, client secrets, state and nonces all come from here.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails: crypto/rand panics rather than return short
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewID returns 128 random bits for identifiers that are not secrets.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash is how secrets are stored: a leaked database does not hand out
// usable codes or tokens. The secrets are high-entropy, so a fast hash is
// enough (no password stretching needed).
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// EqualHash reports in constant time whether secret hashes to hash.
func EqualHash(secret, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(Hash(secret)), []byte(hash)) == 1
}
