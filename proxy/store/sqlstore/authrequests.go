package sqlstore

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/store"
)

var authRequests = (&table[store.AuthRequest]{
	name: "auth_requests",
	cols: []string{"id", "client_id", "redirect_uri", "state", "scopes", "resource",
		"code_challenge", "code_challenge_method", "browser_hash", "consent_given",
		"upstream_state_hash", "upstream_nonce", "upstream_verifier", "upstream", "identity",
		"created_at", "expires_at"},
	nkey: 1,
	args: func(r *store.AuthRequest) []any {
		return []any{r.ID, r.ClientID, r.RedirectURI, r.State, jsonVal{r.Scopes}, r.Resource,
			r.CodeChallenge, r.CodeChallengeMethod, r.BrowserHash, r.ConsentGiven,
			r.UpstreamStateHash, r.UpstreamNonce, r.UpstreamVerifier, r.Upstream, identityVal(r.Identity),
			msVal(r.CreatedAt), msVal(r.ExpiresAt)}
	},
	dest: func(r *store.AuthRequest) []any {
		return []any{&r.ID, &r.ClientID, &r.RedirectURI, &r.State, jsonScan{&r.Scopes}, &r.Resource,
			&r.CodeChallenge, &r.CodeChallengeMethod, &r.BrowserHash, &r.ConsentGiven,
			&r.UpstreamStateHash, &r.UpstreamNonce, &r.UpstreamVerifier, &r.Upstream, jsonScan{&r.Identity},
			msScan{&r.CreatedAt}, msScan{&r.ExpiresAt}}
	},
}).build()

// identityVal keeps "no identity yet" as NULL rather than JSON null.
func identityVal(i *store.Identity) any {
	if i == nil {
		return nil
	}
	return jsonVal{i}
}

// CreateAuthRequest implements store.Store.
func (s *Store) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	if err := s.writeStmt(ctx, func(q querier) error { return authRequests.create(ctx, q, s.nowMS(), &r) }); err != nil {
		return s.fail("create auth request", err)
	}
	return nil
}

// GetAuthRequest implements store.Store.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := authRequests.get(ctx, s.reads, s.nowMS(), false, id)
	if err != nil {
		return store.AuthRequest{}, s.fail("get auth request", err)
	}
	return r, nil
}

// UpdateAuthRequest implements store.Store.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, update func(*store.AuthRequest) error) error {
	_, err := runUpdate(ctx, s, "update auth request", authRequests, []any{id}, update)
	return err
}

// DeleteAuthRequest implements store.Store.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	if err := s.writeStmt(ctx, func(q querier) error { return authRequests.delete(ctx, q, s.nowMS(), id) }); err != nil {
		return s.fail("delete auth request", err)
	}
	return nil
}
