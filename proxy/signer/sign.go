package signer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"
)

var b64 = base64.RawURLEncoding

// jwsHeader is the protected header of the tokens we sign; the field order
// is fixed so replicas produce byte-identical headers.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

// Sign returns a compact ES256 JWS of claims, which must encode to a JSON
// object, with header typ (omitted when empty) and the signing key's kid.
func (m *Manager) Sign(ctx context.Context, typ string, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("signer: encode claims: %w", err)
	}
	if len(payload) == 0 || payload[0] != '{' {
		return "", errors.New("signer: claims must encode to a JSON object")
	}
	e, err := m.signingKey(ctx)
	if err != nil {
		return "", err
	}
	header, err := json.Marshal(jwsHeader{Alg: algES256, Kid: e.id, Typ: typ})
	if err != nil {
		return "", fmt.Errorf("signer: encode header: %w", err)
	}

	hLen, pLen := b64.EncodedLen(len(header)), b64.EncodedLen(len(payload))
	inputLen := hLen + 1 + pLen
	buf := make([]byte, inputLen+1+b64.EncodedLen(64))
	b64.Encode(buf, header)
	buf[hLen] = '.'
	b64.Encode(buf[hLen+1:], payload)
	buf[inputLen] = '.'

	digest := sha256.Sum256(buf[:inputLen])
	der, err := ecdsa.SignASN1(rand.Reader, e.priv, digest[:])
	if err != nil {
		return "", fmt.Errorf("signer: sign: %w", err)
	}
	// JWS wants the fixed-width r||s form (RFC 7518 §3.4), not ASN.1.
	var sig [sigLen]byte
	if !asn1ToRaw(&sig, der) {
		return "", errors.New("signer: sign: unexpected signature encoding")
	}
	b64.Encode(buf[inputLen+1:], sig[:])
	return string(buf), nil
}

// signingKey returns the key to sign with now, reloading once when the
// snapshot has none: by the clock our key retired, and the successor another
// replica made may not be cached yet.
func (m *Manager) signingKey(ctx context.Context) (*entry, error) {
	if e := m.snap.Load().signingKey(m.opts.Now()); e != nil {
		return e, nil
	}
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	// Someone else may have reloaded while we waited for the lock.
	if e := m.snap.Load().signingKey(m.opts.Now()); e != nil {
		return e, nil
	}
	if _, err := m.reloadLocked(ctx); err != nil {
		return nil, err
	}
	if e := m.snap.Load().signingKey(m.opts.Now()); e != nil {
		return e, nil
	}
	return nil, errors.New("signer: no active signing key")
}

// KeySet returns every cached key that has not expired. It normally serves
// the cache Run keeps fresh; if the cache is well past due (Run not running
// or failing) it tries the store first, and on failure serves the cache
// anyway because a stale JWKS beats none.
func (m *Manager) KeySet(ctx context.Context) (jose.JSONWebKeySet, error) {
	now := m.opts.Now()
	if now.Sub(m.snap.Load().loadedAt) > 2*m.opts.RefreshInterval {
		if err := m.Reload(ctx); err != nil {
			m.log.Warn("signer: reload signing keys for JWKS", "err", err)
		}
		now = m.opts.Now()
	}
	s := m.snap.Load()
	keys := make([]jose.JSONWebKey, 0, len(s.entries))
	for _, e := range s.entries {
		if !e.expired(now) {
			keys = append(keys, e.jwk)
		}
	}
	// Oldest first, like the store lists them, so the document is stable.
	slices.Reverse(keys)
	return jose.JSONWebKeySet{Keys: keys}, nil
}

// PublicKey returns the cached, unexpired public key with the given kid. It
// never touches the store.
func (m *Manager) PublicKey(kid string) (crypto.PublicKey, bool) {
	e := m.snap.Load().key(kid, m.opts.Now())
	if e == nil {
		return nil, false
	}
	return e.pub, true
}

// asn1ToRaw converts the DER signature crypto/ecdsa produces into the
// fixed-width r||s form, without the big.Int round trip of ecdsa.Sign.
func asn1ToRaw(out *[sigLen]byte, der []byte) bool {
	if len(der) < 2 || der[0] != 0x30 || int(der[1]) != len(der)-2 {
		return false
	}
	rest := der[2:]
	for half := range 2 {
		if len(rest) < 2 || rest[0] != 0x02 || int(rest[1]) > len(rest)-2 {
			return false
		}
		v := rest[2 : 2+int(rest[1])]
		rest = rest[2+int(rest[1]):]
		// Strip the sign byte DER adds when the top bit is set.
		for len(v) > 0 && v[0] == 0 {
			v = v[1:]
		}
		if len(v) > sigLen/2 {
			return false
		}
		dst := out[half*sigLen/2 : (half+1)*sigLen/2]
		copy(dst[len(dst)-len(v):], v)
	}
	return len(rest) == 0
}

// Ready reports whether a key to sign with now is loaded, without
// reading the store: the readiness probe's question.
func (m *Manager) Ready() bool { return m.snap.Load().signingKey(m.opts.Now()) != nil }
