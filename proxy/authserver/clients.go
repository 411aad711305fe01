package authserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// StaticClient is a client registered in configuration.
type StaticClient struct {
	Client store.Client
	// Trusted clients get implicit consent (first-party tools).
	Trusted bool
}

// MetadataResolver resolves Client ID Metadata Documents: a client_id that
// is an HTTPS URL names its own registration.
type MetadataResolver interface {
	IsClientID(clientID string) bool
	Resolve(ctx context.Context, clientID string) (store.Client, error)
	// KeySet returns the keys a private_key_jwt client's document
	// publishes.
	KeySet(ctx context.Context, clientID string) (jose.JSONWebKeySet, error)
}

// errUnknownClient: no registration of any kind has this id.
var errUnknownClient = errors.New("authserver: unknown client")

// lookupClient finds a client wherever it is registered: configuration
// first (it cannot be shadowed), then metadata documents for URL ids, then
// dynamic registrations in the store.
func (s *Server) lookupClient(ctx context.Context, id string) (store.Client, bool, error) {
	if sc, ok := s.static[id]; ok {
		return sc.Client, sc.Trusted, nil
	}
	if s.cimd != nil && s.cimd.IsClientID(id) {
		c, err := s.cimd.Resolve(ctx, id)
		if err != nil {
			s.log.InfoContext(ctx, "client metadata document refused", "client_id", id, "err", err)
			return store.Client{}, false, fmt.Errorf("%w: %w", errUnknownClient, err)
		}
		// The registration policy a self-registered client meets holds
		// for a self-described one too.
		if uri := s.cfg.Registration.refusedRedirect(c.RedirectURIs); uri != "" {
			s.log.InfoContext(ctx, "client metadata document refused by the registration policy", "client_id", id, "redirect_uri", uri)
			return store.Client{}, false, fmt.Errorf("%w: redirect URI %s is not allowed by the registration policy", errUnknownClient, uri)
		}
		return c, false, nil
	}
	now := s.now()
	if c, ok := s.clients.get(id, now); ok {
		return c, false, nil
	}
	c, err := s.store.GetClient(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Client{}, false, errUnknownClient
	case err != nil:
		return store.Client{}, false, internal("get client", err)
	}
	s.clients.put(c, now)
	return c, false, nil
}
