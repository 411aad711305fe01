package memory

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var consents = kind[consentKey, store.Consent]{
	name:      "consent",
	clone:     cloneConsent,
	key:       func(c store.Consent) consentKey { return consentKey{c.Subject, c.ClientID} },
	expires:   func(c store.Consent) time.Time { return c.ExpiresAt },
	zeroLives: neverIfZero,
}

// PutConsent implements store.Store.
func (s *Store) PutConsent(ctx context.Context, c store.Consent) error {
	if err := s.lock(ctx, "put consent"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.consents[consents.key(c)] = cloneConsent(c)
	return nil
}

// GetConsent implements store.Store.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	if err := s.rlock(ctx, "get consent"); err != nil {
		return store.Consent{}, err
	}
	defer s.mu.RUnlock()
	return consents.get(s.consents, consentKey{subject, clientID}, s.now())
}

// DeleteConsent implements store.Store.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	if err := s.lock(ctx, "delete consent"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return consents.delete(s.consents, consentKey{subject, clientID}, s.now())
}
