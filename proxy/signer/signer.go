package signer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// Signer is the seam the token issuer uses.
type Signer interface {
	// Sign returns a compact JWS (ES256) of the JSON claims with header typ
	// (e.g. "at+jwt") and the active key's kid.
	Sign(ctx context.Context, typ string, claims any) (string, error)
	// KeySet returns the public keys to publish at /jwks: every key not yet
	// expired, including ones not yet active and retired ones.
	KeySet(ctx context.Context) (jose.JSONWebKeySet, error)
}

var _ Signer = (*Manager)(nil)

const (
	algES256 = "ES256"
	// retireSkew covers clock skew between replicas and relying parties when
	// deciding how long a retired key stays published.
	retireSkew             = time.Minute
	defaultRefreshInterval = 30 * time.Second
	// reloadTimeout bounds a store read made while holding the reload lock,
	// so a hung store cannot stall Sign and Verify fallbacks indefinitely.
	reloadTimeout = 10 * time.Second
)

// Options configures a Manager.
type Options struct {
	// Now is the clock; default time.Now.
	Now func() time.Time
	// TokenLifetime is the longest lifetime of anything signed (the access
	// token TTL). A retired key stays published this long (plus a 1 minute
	// skew) after it stops signing. Required.
	TokenLifetime time.Duration
	// RotationPeriod: Run makes a new key this often; 0 disables automatic
	// rotation.
	RotationPeriod time.Duration
	// PublishDelay is how long a rotated-in key is published before it
	// signs, so every replica and cached JWKS has it first. 0 means the
	// default of 2 × RefreshInterval; negative means no delay. The very first
	// key always signs at once: there is nothing else to sign with.
	PublishDelay time.Duration
	// RefreshInterval is how often Run reloads keys from the store, so
	// replicas pick up rotations without a restart (default 30s). It also
	// rate-limits store reloads triggered by unknown kids.
	RefreshInterval time.Duration
	// Seal and Open optionally encrypt private keys at rest; both or neither
	// must be set (nil stores PKCS#8 DER as is).
	Seal func(plain []byte) ([]byte, error)
	Open func(sealed []byte) ([]byte, error)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TokenLifetime <= 0 {
		return o, errors.New("signer: TokenLifetime must be positive")
	}
	if o.RotationPeriod < 0 {
		return o, errors.New("signer: RotationPeriod must not be negative")
	}
	if o.RefreshInterval < 0 {
		return o, errors.New("signer: RefreshInterval must not be negative")
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = defaultRefreshInterval
	}
	switch {
	case o.PublishDelay == 0:
		o.PublishDelay = 2 * o.RefreshInterval
	case o.PublishDelay < 0:
		o.PublishDelay = 0
	}
	if (o.Seal == nil) != (o.Open == nil) {
		return o, errors.New("signer: Seal and Open must be set together")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Manager signs with, verifies against and rotates the keys in a store. It
// is safe for concurrent use.
type Manager struct {
	st   store.Store
	opts Options
	log  *slog.Logger

	// snap is replaced wholesale on reload so readers never lock.
	snap atomic.Pointer[snapshot]

	// reloadMu serializes reloads so an older listing never overwrites a
	// newer snapshot, and lets concurrent fallbacks share one reload.
	reloadMu sync.Mutex
	// lastMissReload is when an unknown kid last caused a reload; guarded by
	// reloadMu.
	lastMissReload time.Time
}

// New loads the keys in st and, when none of them can sign, creates one that
// signs at once.
func New(ctx context.Context, st store.Store, opts Options) (*Manager, error) {
	if st == nil {
		return nil, errors.New("signer: nil store")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{st: st, opts: opts, log: opts.Logger}

	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	skipped, err := m.reloadLocked(ctx)
	if err != nil {
		return nil, err
	}
	if m.snap.Load().signingKey(m.opts.Now()) != nil {
		return m, nil
	}
	if skipped > 0 {
		// Replacing keys we cannot read would hide a misconfiguration (a
		// wrong Open) and fork the key set between replicas.
		return nil, errors.New("signer: no usable signing key and some stored keys could not be loaded; refusing to create a new one")
	}
	if _, err := m.createKey(ctx, m.opts.Now()); err != nil {
		return nil, err
	}
	// Reading the key back proves Seal and Open agree before we serve.
	if _, err := m.reloadLocked(ctx); err != nil {
		return nil, err
	}
	if m.snap.Load().signingKey(m.opts.Now()) == nil {
		return nil, errors.New("signer: created signing key is not usable")
	}
	return m, nil
}

// Reload replaces the key cache with the keys in the store.
func (m *Manager) Reload(ctx context.Context) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	_, err := m.reloadLocked(ctx)
	return err
}
