package oauth

import (
	"crypto/subtle"
	"regexp"

	"golang.org/x/oauth2"
)

// MethodS256 is the only PKCE method mcpgate accepts; plain is refused.
const MethodS256 = "S256"

// RFC 7636 §4.1: 43 to 128 characters of the unreserved set. The challenge,
// a base64url SHA-256, is always 43 characters of that set.
var (
	verifierPattern  = regexp.MustCompile(`^[A-Za-z0-9\-._~]{43,128}$`)
	challengePattern = regexp.MustCompile(`^[A-Za-z0-9\-_]{43}$`)
)

// ValidChallenge reports whether challenge is a well-formed S256 challenge.
func ValidChallenge(challenge string) bool {
	return challengePattern.MatchString(challenge)
}

// VerifyPKCE reports whether verifier matches the S256 challenge.
func VerifyPKCE(challenge, verifier string) bool {
	if !verifierPattern.MatchString(verifier) {
		return false
	}
	got := oauth2.S256ChallengeFromVerifier(verifier)
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}
