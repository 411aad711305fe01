// Package pat makes and checks the form of personal access tokens:
// "mcpgate_pat_", 32 random base62 characters, and a 6-character base62
// CRC-32 of what precedes it. The prefix lets secret scanners find a
// leaked token; the checksum lets mcpgate refuse a mistyped or made-up
// one without reading the store.
package pat

import (
	"crypto/rand"
	"hash/crc32"
	"strings"
)

// Prefix starts every personal access token.
const Prefix = "mcpgate_pat_"

const (
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	bodyLen     = 32 // 190 bits
	checksumLen = 6  // 62^6 > 2^32
	// Len is the length of every token.
	Len = len(Prefix) + bodyLen + checksumLen
)

// New returns a fresh token.
func New() string {
	b := make([]byte, 0, Len)
	b = append(b, Prefix...)
	var buf [64]byte
	for len(b) < len(Prefix)+bodyLen {
		rand.Read(buf[:])
		for _, c := range buf {
			// 248 = 4·62: bytes above it would favour the first letters.
			if c < 248 && len(b) < len(Prefix)+bodyLen {
				b = append(b, alphabet[c%62])
			}
		}
	}
	return string(appendChecksum(b, crc32.ChecksumIEEE(b)))
}

// Looks reports whether s has a token's prefix: it is meant as one, and
// whatever else is wrong with it, no other kind of token.
func Looks(s string) bool { return strings.HasPrefix(s, Prefix) }

// Valid reports whether s is well-formed: the prefix, the length, the
// alphabet and the checksum.
func Valid(s string) bool {
	if len(s) != Len || !Looks(s) {
		return false
	}
	for i := len(Prefix); i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	head := s[:len(s)-checksumLen]
	want := appendChecksum(nil, crc32.ChecksumIEEE([]byte(head)))
	return string(want) == s[len(head):]
}

func appendChecksum(b []byte, sum uint32) []byte {
	var digits [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		digits[i] = alphabet[sum%62]
		sum /= 62
	}
	return append(b, digits[:]...)
}
