package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

type consentWire struct {
	Subject   string   `json:"sub"`
	ClientID  string   `json:"client_id"`
	Scopes    []string `json:"scopes,omitempty"`
	Resources []string `json:"resources,omitempty"`
	CreatedAt *int64   `json:"created_at,omitempty"`
	ExpiresAt *int64   `json:"expires_at,omitempty"`
}

// consentID is the key of (subject, clientID). The subject's length makes
// it unambiguous whatever either contains: ("a#b", "c") is "3:a#bc" and
// ("a", "b#c") is "1:ab#c".
func consentID(subject, clientID string) string {
	return strconv.Itoa(len(subject)) + ":" + subject + clientID
}

var consents = kind[store.Consent, consentWire]{
	name:      "consent",
	tag:       "consent",
	id:        func(c store.Consent) string { return consentID(c.Subject, c.ClientID) },
	expires:   func(c store.Consent) time.Time { return c.ExpiresAt },
	zeroLives: true,
	toWire: func(c store.Consent) consentWire {
		return consentWire{
			Subject:   c.Subject,
			ClientID:  c.ClientID,
			Scopes:    c.Scopes,
			Resources: c.Resources,
			CreatedAt: toMillis(c.CreatedAt),
			ExpiresAt: toMillis(c.ExpiresAt),
		}
	},
	fromWire: func(w consentWire) store.Consent {
		return store.Consent{
			Subject:   w.Subject,
			ClientID:  w.ClientID,
			Scopes:    w.Scopes,
			Resources: w.Resources,
			CreatedAt: fromMillis(w.CreatedAt),
			ExpiresAt: fromMillis(w.ExpiresAt),
		}
	},
}

// PutConsent implements store.Store.
func (s *Store) PutConsent(ctx context.Context, c store.Consent) error {
	return consents.put(ctx, s, "replace", c)
}

// GetConsent implements store.Store.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	return consents.get(ctx, s, consentID(subject, clientID))
}

// DeleteConsent implements store.Store.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	return consents.delete(ctx, s, consentID(subject, clientID))
}
