package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
)

// ServerAuth is a Client's view of one MCP server, as `mcpgate connect`
// uses it: a token when asked, a new sign-in when the server asks for
// one, and DPoP proofs for a bound token.
type ServerAuth struct {
	Client   *Client
	Resource string

	mu   sync.Mutex
	last *Credentials // what the last Token read: its token's type and key
	key  *dpopKey     // last's key, kept for the server nonces it learns
	enc  string       // key's stored form, to see a new sign-in's key
}

// Token returns a valid access token, refreshed if needed, or "" when
// there is no grant: the request then goes without one, and a server that
// wants a sign-in says so with its 401, which Authorize answers. A server
// that asks for none is never signed in to.
func (s *ServerAuth) Token(ctx context.Context, force bool) (string, error) {
	cr, err := s.Client.credentials(ctx, s.Resource, force)
	if errors.Is(err, ErrSignInNeeded) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.last = cr
	s.mu.Unlock()
	return cr.AccessToken, nil
}

// Authorize signs in in answer to the server's challenge.
func (s *ServerAuth) Authorize(ctx context.Context, req *http.Request, resp *http.Response) error {
	_, err := s.Client.Authorize(ctx, req, resp)
	return err
}

// Proof is the DPoP proof for a request with token (the one Token just
// gave), or "" when the token is a bearer token.
func (s *ServerAuth) Proof(method, target, token string) (string, error) {
	key, err := s.dpopKey(token)
	if key == nil || err != nil {
		return "", err
	}
	return key.proof(method, target, token)
}

// Nonce keeps a nonce the MCP server sent (use_dpop_nonce) for the next
// proofs to it.
func (s *ServerAuth) Nonce(target, nonce string) {
	s.mu.Lock()
	key := s.key
	s.mu.Unlock()
	if u, err := url.Parse(target); err == nil && key != nil {
		key.remember(u, nonce)
	}
}

// dpopKey is the key token is bound to, from what Token read (the store
// is read again only for a token Token did not give).
func (s *ServerAuth) dpopKey(token string) (*dpopKey, error) {
	s.mu.Lock()
	cr := s.last
	s.mu.Unlock()
	if cr == nil || cr.AccessToken != token {
		var err error
		if cr, err = s.Client.Store.Get(s.Resource); err != nil || cr == nil {
			return nil, err
		}
	}
	if cr.TokenType != "DPoP" || cr.DPoPKey == "" {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == nil || s.enc != cr.DPoPKey {
		key, err := decodeDPoPKey(cr.DPoPKey)
		if err != nil {
			return nil, err
		}
		s.key, s.enc = key, cr.DPoPKey
	}
	return s.key, nil
}

// AuthorizationHeaders are the headers of one request with the stored
// token: Authorization, and for a DPoP-bound token a proof for method at
// target (good for this one request).
func (c *Client) AuthorizationHeaders(ctx context.Context, resource, method, target string, force bool) (http.Header, error) {
	cr, err := c.credentials(ctx, resource, force)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	if cr.TokenType != "DPoP" || cr.DPoPKey == "" {
		h.Set("Authorization", "Bearer "+cr.AccessToken)
		return h, nil
	}
	key, err := decodeDPoPKey(cr.DPoPKey)
	if err != nil {
		return nil, err
	}
	proof, err := key.proof(method, target, cr.AccessToken)
	if err != nil {
		return nil, err
	}
	h.Set("Authorization", "DPoP "+cr.AccessToken)
	h.Set("DPoP", proof)
	return h, nil
}
