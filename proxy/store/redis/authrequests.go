package redis

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

type authRequestWire struct {
	ID                  string          `json:"id"`
	ClientID            string          `json:"client_id,omitempty"`
	RedirectURI         string          `json:"redirect_uri,omitempty"`
	State               string          `json:"state,omitempty"`
	Scopes              []string        `json:"scopes,omitempty"`
	Resource            string          `json:"resource,omitempty"`
	CodeChallenge       string          `json:"code_challenge,omitempty"`
	CodeChallengeMethod string          `json:"code_challenge_method,omitempty"`
	BrowserHash         string          `json:"browser_hash,omitempty"`
	ConsentGiven        bool            `json:"consent_given,omitempty"`
	UpstreamStateHash   string          `json:"upstream_state_hash,omitempty"`
	UpstreamNonce       string          `json:"upstream_nonce,omitempty"`
	UpstreamVerifier    string          `json:"upstream_verifier,omitempty"`
	Upstream            string          `json:"upstream,omitempty"`
	Identity            *store.Identity `json:"identity,omitempty"`
	CreatedAt           *int64          `json:"created_at,omitempty"`
	ExpiresAt           *int64          `json:"expires_at,omitempty"`
}

var authRequests = kind[store.AuthRequest, authRequestWire]{
	name:    "auth request",
	tag:     "authreq",
	id:      func(r store.AuthRequest) string { return r.ID },
	expires: func(r store.AuthRequest) time.Time { return r.ExpiresAt },
	toWire: func(r store.AuthRequest) authRequestWire {
		return authRequestWire{
			ID:                  r.ID,
			ClientID:            r.ClientID,
			RedirectURI:         r.RedirectURI,
			State:               r.State,
			Scopes:              r.Scopes,
			Resource:            r.Resource,
			CodeChallenge:       r.CodeChallenge,
			CodeChallengeMethod: r.CodeChallengeMethod,
			BrowserHash:         r.BrowserHash,
			ConsentGiven:        r.ConsentGiven,
			UpstreamStateHash:   r.UpstreamStateHash,
			UpstreamNonce:       r.UpstreamNonce,
			UpstreamVerifier:    r.UpstreamVerifier,
			Upstream:            r.Upstream,
			Identity:            r.Identity,
			CreatedAt:           toMillis(r.CreatedAt),
			ExpiresAt:           toMillis(r.ExpiresAt),
		}
	},
	fromWire: func(w authRequestWire) store.AuthRequest {
		return store.AuthRequest{
			ID:                  w.ID,
			ClientID:            w.ClientID,
			RedirectURI:         w.RedirectURI,
			State:               w.State,
			Scopes:              w.Scopes,
			Resource:            w.Resource,
			CodeChallenge:       w.CodeChallenge,
			CodeChallengeMethod: w.CodeChallengeMethod,
			BrowserHash:         w.BrowserHash,
			ConsentGiven:        w.ConsentGiven,
			UpstreamStateHash:   w.UpstreamStateHash,
			UpstreamNonce:       w.UpstreamNonce,
			UpstreamVerifier:    w.UpstreamVerifier,
			Upstream:            w.Upstream,
			Identity:            w.Identity,
			CreatedAt:           fromMillis(w.CreatedAt),
			ExpiresAt:           fromMillis(w.ExpiresAt),
		}
	},
}

// CreateAuthRequest implements store.Store.
func (s *Store) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	return authRequests.create(ctx, s, r)
}

// GetAuthRequest implements store.Store.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	return authRequests.get(ctx, s, id)
}

// UpdateAuthRequest implements store.Store.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, update func(*store.AuthRequest) error) error {
	_, err := authRequests.update(ctx, s, id, update)
	return err
}

// DeleteAuthRequest implements store.Store.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	return authRequests.delete(ctx, s, id)
}
