package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var _ store.Store = (*Store)(nil)

type consentKey struct{ subject, clientID string }

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	// mu guards everything below. One lock for all kinds keeps
	// RotateRefreshToken, RedeemAuthCode and RevokeGrant trivially atomic, and the
	// store is never the bottleneck at the sizes this backend is meant for.
	mu       sync.RWMutex
	closed   bool
	clients  map[string]store.Client
	requests map[string]store.AuthRequest
	codes    map[string]store.AuthCode
	tokens   map[string]store.RefreshToken
	consents map[consentKey]store.Consent
	keys     map[string]store.SigningKey
	secrets  map[string][]byte
	claims   map[string]time.Time

	revocations map[string]store.Revocation
	counters    map[string]counter
	upstream    map[string]store.UpstreamGrant
	personal    map[string]store.PersonalToken
	grants      map[string]store.Grant
	now         func() time.Time
}

// New returns an empty store.
func New(opts ...store.Option) *Store {
	return &Store{
		now:      store.Apply(opts).Now,
		clients:  map[string]store.Client{},
		requests: map[string]store.AuthRequest{},
		codes:    map[string]store.AuthCode{},
		tokens:   map[string]store.RefreshToken{},
		consents: map[consentKey]store.Consent{},
		keys:     map[string]store.SigningKey{},
		secrets:  map[string][]byte{},
		claims:   map[string]time.Time{},

		revocations: map[string]store.Revocation{},
		counters:    map[string]counter{},
		upstream:    map[string]store.UpstreamGrant{},
		personal:    map[string]store.PersonalToken{},
		grants:      map[string]store.Grant{},
	}
}

// Close makes every later call fail with store.ErrUnavailable, so that a
// use-after-close bug shows up in tests as it would with a real backend.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// lock takes the write lock, or fails when the store is closed or ctx is
// done. Callers must unlock only when it returns nil.
func (s *Store) lock(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %s: %w", op, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("memory: %s: %w", op, store.ErrUnavailable)
	}
	return nil
}

func (s *Store) rlock(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %s: %w", op, err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return fmt.Errorf("memory: %s: %w", op, store.ErrUnavailable)
	}
	return nil
}

// live reports whether a record expiring at exp is still there. zeroLives
// says what a zero expiry means for the record's kind. now is cut to
// milliseconds like the stored times, which is what the SQL backends
// compare, so that both agree even within the millisecond of expiry.
func live(exp time.Time, zeroLives bool, now time.Time) bool {
	if exp.IsZero() {
		return zeroLives
	}
	return !exp.Before(ms(now))
}

// Kinds whose zero ExpiresAt means "never"; for the others it means
// "already", so that a forgotten expiry fails closed.
const (
	neverIfZero   = true
	alreadyIfZero = false
)

// GarbageCollect implements store.Store.
func (s *Store) GarbageCollect(ctx context.Context, now time.Time) (store.GCResult, error) {
	if err := s.lock(ctx, "garbage collect"); err != nil {
		return store.GCResult{}, err
	}
	defer s.mu.Unlock()
	return store.GCResult{
		Clients:        clients.gc(s.clients, now),
		AuthRequests:   requests.gc(s.requests, now),
		AuthCodes:      codes.gc(s.codes, now),
		RefreshTokens:  tokens.gc(s.tokens, now),
		Consents:       consents.gc(s.consents, now),
		SigningKeys:    keys.gc(s.keys, now),
		Claims:         gcMap(s.claims, func(exp time.Time) time.Time { return exp }, now),
		Revocations:    gcMap(s.revocations, func(r store.Revocation) time.Time { return r.ExpiresAt }, now),
		Counters:       gcMap(s.counters, func(c counter) time.Time { return c.expires }, now),
		UpstreamGrants: upstreamGrants.gc(s.upstream, now),
		PersonalTokens: personalTokens.gc(s.personal, now),
		Grants:         grants.gc(s.grants, now),
	}, nil
}
