package dpop

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// NewProof makes a proof for one request, as a client does: signed with
// key (ES256 for an ECDSA P-256 key), its public half in the header, for
// method at target (query and fragment left out), at now, with a fresh
// jti; token, when set, is the access token sent with it (ath), and nonce
// the server's, when it asked for one. mcpgate's client, its tests and
// its benchmark make their proofs with it.
func NewProof(key crypto.Signer, alg jose.SignatureAlgorithm, method, target, token, nonce string, now time.Time) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("dpop: target: %w", err)
	}
	u.RawQuery, u.Fragment = "", ""
	claims := map[string]any{"jti": rand.Text(), "htm": method, "htu": u.String(), "iat": now.Unix()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", jose.JSONWebKey{Key: key.Public()}))
	if err != nil {
		return "", fmt.Errorf("dpop: signer: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("dpop: sign: %w", err)
	}
	return jws.CompactSerialize()
}
