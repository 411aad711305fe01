package signer

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"
)

// Sign returns a compact ES256 JWS of claims, which must encode to a JSON
// object, with header typ (omitted when empty) and the signing key's kid.
// go-jose signs; its protected header lists alg, kid and typ in that
// order, so replicas produce byte-identical headers.
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
	opts := (&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), e.id)
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: e.priv}, opts)
	if err != nil {
		return "", fmt.Errorf("signer: signer: %w", err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("signer: sign: %w", err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("signer: serialize: %w", err)
	}
	return token, nil
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

// Ready reports whether a key to sign with now is loaded, without
// reading the store: the readiness probe's question.
func (m *Manager) Ready() bool { return m.snap.Load().signingKey(m.opts.Now()) != nil }
