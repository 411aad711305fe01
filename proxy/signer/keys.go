package signer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// entry is one parsed key. Entries are immutable once in a snapshot.
type entry struct {
	id        string
	activeAt  time.Time
	retiredAt time.Time
	expiresAt time.Time
	pubDER    []byte
	pub       *ecdsa.PublicKey
	// priv is nil once the key can no longer sign: a retired key's private
	// half is neither needed nor worth holding in memory.
	priv *ecdsa.PrivateKey
	jwk  jose.JSONWebKey
}

func (e *entry) expired(now time.Time) bool {
	return !e.expiresAt.IsZero() && !now.Before(e.expiresAt)
}

func (e *entry) canSign(now time.Time) bool {
	return e.priv != nil &&
		!e.activeAt.After(now) &&
		(e.retiredAt.IsZero() || now.Before(e.retiredAt)) &&
		!e.expired(now)
}

// snapshot is an immutable view of the store's keys.
type snapshot struct {
	// entries is sorted newest ActiveAt first, ties by ID descending, so the
	// first entry that can sign is the same on every replica.
	entries  []*entry
	byKID    map[string]*entry
	loadedAt time.Time
}

func (s *snapshot) signingKey(now time.Time) *entry {
	for _, e := range s.entries {
		if e.canSign(now) {
			return e
		}
	}
	return nil
}

func (s *snapshot) key(kid string, now time.Time) *entry {
	e := s.byKID[kid]
	if e == nil || e.expired(now) {
		return nil
	}
	return e
}

// reloadLocked lists the store's keys and installs a new snapshot. Keys that
// fail to parse are logged and left out rather than failing the reload, so
// one bad record cannot freeze rotation for everyone; skipped counts them.
// The caller holds reloadMu.
func (m *Manager) reloadLocked(ctx context.Context) (skipped int, err error) {
	ctx, cancel := context.WithTimeout(ctx, reloadTimeout)
	defer cancel()
	recs, err := m.st.ListSigningKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("signer: list signing keys: %w", err)
	}
	now := m.opts.Now()
	prev := m.snap.Load()
	s := &snapshot{byKID: make(map[string]*entry, len(recs)), loadedAt: now}
	for i := range recs {
		e, err := m.parseEntry(&recs[i], prev, now)
		if err != nil {
			skipped++
			m.log.Error("signer: skipping unusable signing key", "kid", recs[i].ID, "err", err)
			continue
		}
		if e == nil {
			continue
		}
		s.entries = append(s.entries, e)
		s.byKID[e.id] = e
	}
	slices.SortFunc(s.entries, func(a, b *entry) int {
		if c := b.activeAt.Compare(a.activeAt); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	m.snap.Store(s)
	return skipped, nil
}

// parseEntry turns a record into an entry, reusing what prev already parsed
// so that reloads do not redo DER parsing and Open on every tick. It returns
// nil, nil for records this package does not serve.
func (m *Manager) parseEntry(r *store.SigningKey, prev *snapshot, now time.Time) (*entry, error) {
	if r.Algorithm != algES256 {
		return nil, nil
	}
	e := &entry{id: r.ID, activeAt: r.ActiveAt, retiredAt: r.RetiredAt, expiresAt: r.ExpiresAt}
	if e.expired(now) {
		return nil, nil
	}
	mayStillSign := r.RetiredAt.IsZero() || now.Before(r.RetiredAt)

	var old *entry
	if prev != nil {
		old = prev.byKID[r.ID]
	}
	if old != nil && bytes.Equal(old.pubDER, r.PublicKey) {
		e.pubDER, e.pub, e.jwk = old.pubDER, old.pub, old.jwk
		if mayStillSign {
			e.priv = old.priv
		}
	} else {
		pub, err := parsePublic(r.PublicKey)
		if err != nil {
			return nil, err
		}
		e.pubDER, e.pub = bytes.Clone(r.PublicKey), pub
		e.jwk = jose.JSONWebKey{Key: pub, KeyID: r.ID, Algorithm: algES256, Use: "sig"}
	}
	if mayStillSign && e.priv == nil {
		priv, err := m.parsePrivate(r.PrivateKey)
		if err != nil {
			return nil, err
		}
		if !priv.PublicKey.Equal(e.pub) {
			return nil, errors.New("private key does not match public key")
		}
		e.priv = priv
	}
	return e, nil
}

func parsePublic(der []byte) (*ecdsa.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, errors.New("public key is not ECDSA P-256")
	}
	return pub, nil
}

func (m *Manager) parsePrivate(stored []byte) (*ecdsa.PrivateKey, error) {
	der := stored
	if m.opts.Open != nil {
		var err error
		if der, err = m.opts.Open(stored); err != nil {
			return nil, fmt.Errorf("open private key: %w", err)
		}
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		// The parse error never echoes key bytes, so it is safe to log.
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	priv, ok := k.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, errors.New("private key is not ECDSA P-256")
	}
	return priv, nil
}

// createKey generates a key, stores it and returns its record. It does not
// touch the snapshot.
func (m *Manager) createKey(ctx context.Context, activeAt time.Time) (store.SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("signer: generate key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("signer: encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("signer: encode public key: %w", err)
	}
	// An RFC 7638 thumbprint is collision-free across replicas creating keys
	// at the same time and lets anyone recompute the kid from the JWK.
	tp, err := (&jose.JSONWebKey{Key: &priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("signer: key thumbprint: %w", err)
	}
	if m.opts.Seal != nil {
		if privDER, err = m.opts.Seal(privDER); err != nil {
			return store.SigningKey{}, fmt.Errorf("signer: seal private key: %w", err)
		}
	}
	rec := store.SigningKey{
		ID:         base64.RawURLEncoding.EncodeToString(tp),
		Algorithm:  algES256,
		PrivateKey: privDER,
		PublicKey:  pubDER,
		CreatedAt:  m.opts.Now(),
		ActiveAt:   activeAt,
	}
	if err := m.st.CreateSigningKey(ctx, rec); err != nil {
		return store.SigningKey{}, fmt.Errorf("signer: store key %s: %w", rec.ID, err)
	}
	m.log.Info("signer: created signing key", "kid", rec.ID, "active_at", activeAt)
	return rec, nil
}
