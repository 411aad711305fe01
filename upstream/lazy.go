package upstream

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Readier is a Provider that may not be usable yet: Ready returns nil
// once it is, and is called before a sign-in is sent to the IdP.
type Readier interface {
	Ready(ctx context.Context) error
}

// Lazy is a Provider whose IdP could not be discovered at start (down,
// slow, or answering garbage): mcpgate runs anyway, not ready for
// sign-ins, and discovers the IdP again when one is needed, at most once
// per retry interval, until it succeeds. Without it, an IdP that starts
// after mcpgate (a compose file, a cluster restarting) would hold mcpgate
// in a restart loop.
type Lazy struct {
	issuer   string
	discover func(ctx context.Context) (Provider, error)
	retry    time.Duration
	now      func() time.Time

	mu         sync.Mutex
	p          Provider
	lastErr    error
	next       time.Time
	attempting bool
}

// lazyRetry is the least time between two discovery attempts: sign-ins
// and probes arriving while the IdP is down do not each try again.
const lazyRetry = 5 * time.Second

// NewLazy returns a Lazy for the IdP at issuer (as configured; "" when
// the preset derives it) that calls discover until it succeeds; failed is
// the error of the attempt made at start.
func NewLazy(issuer string, discover func(ctx context.Context) (Provider, error), failed error) *Lazy {
	return &Lazy{issuer: issuer, discover: discover, retry: lazyRetry, now: time.Now, lastErr: failed, next: time.Now().Add(lazyRetry)}
}

// SetRetry sets the least time between two discovery attempts (tests).
func (l *Lazy) SetRetry(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.retry = d
	l.next = l.now().Add(d)
}

var (
	_ Provider       = (*Lazy)(nil)
	_ Refresher      = (*Lazy)(nil)
	_ LogoutVerifier = (*Lazy)(nil)
	_ Readier        = (*Lazy)(nil)
	_ IDJAGVerifier  = (*Lazy)(nil)
)

// Ready implements Readier: the IdP is discovered, now or before.
func (l *Lazy) Ready(ctx context.Context) error {
	_, err := l.provider(ctx)
	return err
}

func (l *Lazy) provider(ctx context.Context) (Provider, error) {
	l.mu.Lock()
	if l.p != nil {
		defer l.mu.Unlock()
		return l.p, nil
	}
	// One attempt at a time, outside the lock: others meanwhile get the
	// last error at once rather than waiting on an IdP that may hang.
	if l.attempting || l.now().Before(l.next) {
		defer l.mu.Unlock()
		return nil, fmt.Errorf("upstream: not discovered yet: %w", l.lastErr)
	}
	l.attempting = true
	l.mu.Unlock()

	p, err := l.discover(ctx)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempting = false
	if err != nil {
		l.lastErr, l.next = err, l.now().Add(l.retry)
		return nil, fmt.Errorf("upstream: not discovered yet: %w", err)
	}
	l.p = p
	return p, nil
}

func (l *Lazy) loaded() Provider {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p
}

// AuthCodeURL implements Provider. Callers check Ready first; before the
// IdP is discovered there is no URL to give.
func (l *Lazy) AuthCodeURL(p LoginParams) string {
	if up := l.loaded(); up != nil {
		return up.AuthCodeURL(p)
	}
	return ""
}

// Exchange implements Provider.
func (l *Lazy) Exchange(ctx context.Context, cb Callback, p LoginParams) (Identity, error) {
	up, err := l.provider(ctx)
	if err != nil {
		return Identity{}, err
	}
	return up.Exchange(ctx, cb, p)
}

// Refresh implements Refresher; until the IdP is discovered it fails as
// an IdP that cannot be reached does, never as a revoked grant.
func (l *Lazy) Refresh(ctx context.Context, subject string, t Tokens) (Identity, error) {
	up, err := l.provider(ctx)
	if err != nil {
		return Identity{}, err
	}
	r, ok := up.(Refresher)
	if !ok {
		return Identity{}, fmt.Errorf("upstream: this IdP cannot refresh")
	}
	return r.Refresh(ctx, subject, t)
}

// Refreshable implements Refresher. Lazy stands only for discovered
// (OpenID Connect) IdPs, which refresh with a refresh token.
func (l *Lazy) Refreshable(t Tokens) bool {
	if r, ok := l.loaded().(Refresher); ok {
		return r.Refreshable(t)
	}
	return t.RefreshToken != ""
}

// VerifyLogout implements LogoutVerifier.
func (l *Lazy) VerifyLogout(ctx context.Context, raw string) (Logout, error) {
	up, err := l.provider(ctx)
	if err != nil {
		return Logout{}, err
	}
	lv, ok := up.(LogoutVerifier)
	if !ok {
		return Logout{}, fmt.Errorf("%w: this IdP sends no logout tokens", ErrVerification)
	}
	return lv.VerifyLogout(ctx, raw)
}

// Issuer implements IDJAGVerifier: the configured issuer, known before
// discovery.
func (l *Lazy) Issuer() string { return l.issuer }

// VerifyIDJAG implements IDJAGVerifier; until the IdP is discovered it
// fails as an IdP that cannot be reached does.
func (l *Lazy) VerifyIDJAG(ctx context.Context, raw, audience string) (IDJAG, error) {
	up, err := l.provider(ctx)
	if err != nil {
		return IDJAG{}, err
	}
	v, ok := up.(IDJAGVerifier)
	if !ok {
		return IDJAG{}, fmt.Errorf("%w: this IdP issues no ID-JAGs", ErrVerification)
	}
	return v.VerifyIDJAG(ctx, raw, audience)
}
