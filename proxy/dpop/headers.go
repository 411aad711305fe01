package dpop

import (
	"crypto"
	"crypto/ecdsa"
	_ "crypto/sha256" // the hashes of ES256, ES384 and ES512
	_ "crypto/sha512"
	"encoding/base64"
	"math/big"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// headerKey is a protected header go-jose has checked: its ECDSA key,
// the algorithm that goes with it, and the key's thumbprint.
type headerKey struct {
	pub  *ecdsa.PublicKey
	hash crypto.Hash
	size int // bytes of r, and of s
	jkt  string
}

// verify checks an ECDSA JWS signature (r || s, RFC 7518 §3.4) over
// signingInput.
func (k *headerKey) verify(signingInput, sig string) bool {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || len(raw) != 2*k.size {
		return false
	}
	h := k.hash.New()
	h.Write([]byte(signingInput))
	r := new(big.Int).SetBytes(raw[:k.size])
	s := new(big.Int).SetBytes(raw[k.size:])
	return ecdsa.Verify(k.pub, h.Sum(nil), r, s)
}

// headerCache keeps checked headers by their exact base64url bytes. It
// holds at most maxHeaders, and starts over when full: a flood of
// distinct keys costs the attacker a go-jose check each, as without it.
type headerCache struct {
	mu sync.RWMutex
	m  map[string]*headerKey
}

const maxHeaders = 4096

var headers headerCache

func (c *headerCache) get(header string) (*headerKey, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k, ok := c.m[header]
	return k, ok
}

// put keeps header's key when it is one the fast path verifies (ECDSA
// with its matching algorithm); other keys take go-jose's path each time.
func (c *headerCache) put(header string, key *jose.JSONWebKey, alg jose.SignatureAlgorithm, jkt string) {
	pub, ok := key.Key.(*ecdsa.PublicKey)
	if !ok {
		return
	}
	k := &headerKey{pub: pub, jkt: jkt}
	switch {
	case alg == jose.ES256 && pub.Curve.Params().BitSize == 256:
		k.hash, k.size = crypto.SHA256, 32
	case alg == jose.ES384 && pub.Curve.Params().BitSize == 384:
		k.hash, k.size = crypto.SHA384, 48
	case alg == jose.ES512 && pub.Curve.Params().BitSize == 521:
		k.hash, k.size = crypto.SHA512, 66
	default:
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxHeaders {
		c.m = map[string]*headerKey{}
	}
	c.m[header] = k
}
