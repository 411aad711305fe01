package authserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/upstream"
)

// ErrNoUpstreamToken: the request's sign-in holds no IdP access token a
// backend can be sent: it was made before backends were sent one, or the
// IdP's token has expired and cannot be renewed, or the sign-in ended.
// The user must sign in again.
var ErrNoUpstreamToken = errors.New("authserver: no usable upstream access token")

// Bounds of the upstream tokens a replica keeps in memory, so that a
// forwarded request seldom reads the store: a token is renewed this long
// before it expires, and kept at most upstreamTokenKeep.
const (
	upstreamTokenMargin = 30 * time.Second
	upstreamTokenKeep   = 5 * time.Minute
	upstreamTokenCap    = 10000
)

// upstreamTokens caches the IdP access token of each sign-in (upstream
// grant). A grant's end reaches requests without it: the access tokens
// of an ended grant are revoked.
type upstreamTokens struct {
	mu sync.Mutex
	m  map[string]cachedUpstreamToken
}

type cachedUpstreamToken struct {
	subject, token string
	until          time.Time
}

func (c *upstreamTokens) get(grant, subject string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[grant]
	if !ok || e.subject != subject || !now.Before(e.until) {
		return "", false
	}
	return e.token, true
}

func (c *upstreamTokens) put(grant, subject string, t upstream.Tokens, now time.Time) {
	until := now.Add(upstreamTokenKeep)
	if !t.Expiry.IsZero() && t.Expiry.Add(-upstreamTokenMargin).Before(until) {
		until = t.Expiry.Add(-upstreamTokenMargin)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= upstreamTokenCap {
		c.m = map[string]cachedUpstreamToken{} // dropping all is cheap: each costs one store read to get back
	}
	c.m[grant] = cachedUpstreamToken{subject: subject, token: t.AccessToken, until: until}
}

// usable reports whether t's access token can be sent now.
func usable(t upstream.Tokens, now time.Time) bool {
	return t.AccessToken != "" && (t.Expiry.IsZero() || now.Add(upstreamTokenMargin).Before(t.Expiry))
}

// UpstreamAccessToken returns the access token the IdP idpName issued at
// the sign-in grantID of subject, for a backend that calls the IdP's APIs
// as the user. One about to expire is renewed with the IdP's refresh
// token first (one renewal per grant across replicas, as on MCP
// refreshes). ErrNoUpstreamToken when there is none to send.
func (s *Server) UpstreamAccessToken(ctx context.Context, subject, idpName, grantID string) (string, error) {
	if s.tracking == nil || !s.tracking.KeepAccessTokens || grantID == "" {
		return "", ErrNoUpstreamToken
	}
	now := s.now()
	if tok, ok := s.upstreamTokens.get(grantID, subject, now); ok {
		return tok, nil
	}
	idp := s.idp(idpName)
	if idp == nil {
		return "", ErrNoUpstreamToken
	}
	for renewed := false; ; renewed = true {
		g, tokens, err := s.upstreamGrant(ctx, grantID, subject)
		switch {
		case errors.Is(err, errUpstreamRevoked):
			return "", ErrNoUpstreamToken
		case err != nil:
			return "", fmt.Errorf("authserver: upstream access token: %w", err)
		case usable(tokens, now):
			s.upstreamTokens.put(grantID, subject, tokens, now)
			return tokens.AccessToken, nil
		case renewed:
			return "", ErrNoUpstreamToken
		}
		refresher := idp.refresher()
		if refresher == nil || !refresher.Refreshable(tokens) {
			return "", ErrNoUpstreamToken
		}
		// Renewed here or, while this waited, by another request: read
		// the grant again either way.
		if _, err := s.renewUpstreamGrant(ctx, refresher, g, tokens); err != nil {
			if errors.Is(err, errUpstreamRevoked) {
				return "", ErrNoUpstreamToken
			}
			return "", fmt.Errorf("authserver: renew upstream access token: %w", err)
		}
	}
}
