package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/upstream"
)

// UpstreamTracking keeps the IdP's grant behind each sign-in and asks the
// IdP about the user again on MCP refreshes, so that a user disabled at
// the IdP loses MCP access at the next refresh instead of when the MCP
// refresh family expires.
type UpstreamTracking struct {
	// Seal and Open encrypt the IdP's tokens at rest.
	Seal, Open func([]byte) ([]byte, error)
	// KeepAccessTokens keeps the IdP's tokens of every sign-in, not only
	// those it can be asked again with, for backends that are sent the
	// IdP's access token (UpstreamAccessToken).
	KeepAccessTokens bool
	// Lifetime is how long a grant is kept: as long as any refresh family
	// started from it (a browser session's later sign-ins included) lives.
	Lifetime time.Duration
}

// Waits of a refresh behind another refresh's check of the same grant.
const (
	upstreamLease     = 30 * time.Second
	upstreamWait      = 10 * time.Second
	upstreamWaitSlice = 25 * time.Millisecond
)

var errUpstreamRevoked = errors.New("authserver: the IdP no longer grants access")

// keepUpstreamGrant stores the IdP's tokens of a sign-in and names the
// grant in id; without tracking, or tokens to refresh with or logouts to
// expect, nothing.
func (s *Server) keepUpstreamGrant(ctx context.Context, idp *IdP, ident upstream.Identity, id *store.Identity) error {
	t := s.tracking
	if t == nil {
		return nil
	}
	// A grant with nothing to refresh with is still kept where the IdP
	// sends logout tokens: it is how a logout finds the sign-in.
	r := idp.refresher()
	refreshable := r != nil && r.Refreshable(ident.Tokens)
	keepTokens := refreshable || (t.KeepAccessTokens && ident.Tokens.AccessToken != "")
	if !keepTokens && idp.logouts() == nil {
		return nil
	}
	var sealed []byte
	if keepTokens {
		var err error
		if sealed, err = t.sealTokens(ident.Tokens); err != nil {
			return err
		}
	}
	now := s.now()
	g := store.UpstreamGrant{FamilyID: oauth.NewID(), Subject: id.Subject, SessionID: ident.Tokens.SessionID, RefreshToken: sealed,
		CheckedAt: now, Version: 1, CreatedAt: now, ExpiresAt: now.Add(t.Lifetime)}
	if err := s.store.CreateUpstreamGrant(ctx, g); err != nil {
		return fmt.Errorf("keep upstream grant: %w", err)
	}
	id.UpstreamGrant = g.FamilyID
	return nil
}

func (t *UpstreamTracking) sealTokens(tok upstream.Tokens) ([]byte, error) {
	raw, err := json.Marshal(tok)
	if err != nil {
		return nil, err
	}
	return t.Seal(raw)
}

func (t *UpstreamTracking) openTokens(sealed []byte) (upstream.Tokens, error) {
	var tok upstream.Tokens
	raw, err := t.Open(sealed)
	if err != nil {
		return tok, err
	}
	err = json.Unmarshal(raw, &tok)
	return tok, err
}

// checkUpstream asks the IdP about the user of id when the interval has
// passed: errUpstreamRevoked when it refuses (or the grant is gone), the
// user as the IdP describes them now, or nil to go on with id. Of
// concurrent refreshes of one grant only one calls the IdP, with the
// latest refresh token; the others wait for it, so that a rotated
// upstream refresh token is never replayed.
func (s *Server) checkUpstream(ctx context.Context, id store.Identity) (*store.Identity, error) {
	t := s.tracking
	switch {
	case t == nil:
		return nil, nil
	case id.UpstreamGrant == "" && t.KeepAccessTokens:
		// A backend needs the IdP's token, and none was kept for this
		// sign-in (made before backends were sent one): refreshing
		// would only bring the client back to a 401 at that backend.
		return nil, errUpstreamRevoked
	case id.UpstreamGrant == "":
		return nil, nil
	}
	idp := s.idp(id.IdP)
	if idp == nil {
		return nil, errUpstreamRevoked // the IdP was removed from the configuration
	}
	g, tokens, err := s.upstreamGrant(ctx, id.UpstreamGrant, id.Subject)
	if err != nil {
		return nil, err
	}
	refresher := idp.refresher()
	if refresher == nil || !refresher.Refreshable(tokens) {
		if t.KeepAccessTokens && !usable(tokens, s.now()) {
			// A backend needs the IdP's token, which has expired and
			// cannot be renewed, or was never kept (a grant kept only
			// for logouts): the user must sign in again.
			s.dropUpstreamGrant(ctx, g.FamilyID)
			return nil, errUpstreamRevoked
		}
		return nil, nil // nothing to ask the IdP with; kept for logouts
	}
	if s.now().Sub(g.CheckedAt) < idp.CheckInterval {
		return nil, nil
	}
	current, err := s.renewUpstreamGrant(ctx, refresher, g, tokens)
	if err != nil || current == nil {
		return nil, err
	}
	fresh := idp.vouchable(*current)
	if fresh.Subject != id.Subject {
		return nil, fmt.Errorf("refresh upstream: the IdP answered about another user")
	}
	if fresh.Email == "" && fresh.Name == "" && len(fresh.Groups) == 0 {
		return nil, nil // the IdP said the grant lives, and nothing about the user
	}
	fresh.UpstreamGrant = id.UpstreamGrant
	return &fresh, nil
}

// upstreamGrant reads the upstream grant id of subject and opens its
// tokens (none, for a grant kept only for logouts): errUpstreamRevoked
// when it is gone or another user's.
func (s *Server) upstreamGrant(ctx context.Context, id, subject string) (store.UpstreamGrant, upstream.Tokens, error) {
	g, err := s.store.GetUpstreamGrant(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return g, upstream.Tokens{}, errUpstreamRevoked // revoked, or never kept: fail closed
	case err != nil:
		return g, upstream.Tokens{}, err
	case g.Subject != subject:
		return g, upstream.Tokens{}, errUpstreamRevoked // never another user's grant
	case len(g.RefreshToken) == 0:
		return g, upstream.Tokens{}, nil
	}
	tokens, err := s.tracking.openTokens(g.RefreshToken)
	if err != nil {
		return g, tokens, fmt.Errorf("open upstream tokens: %w", err)
	}
	return g, tokens, nil
}

// renewUpstreamGrant redeems grant g's tokens at the IdP and stores what
// it gives back, under a lease per grant version: the user as the IdP
// describes them now, or nil when another request renewed g meanwhile
// (this one waited for it).
func (s *Server) renewUpstreamGrant(ctx context.Context, refresher upstream.Refresher, g store.UpstreamGrant, tokens upstream.Tokens) (*upstream.Identity, error) {
	lease := fmt.Sprintf("upstream-check:%s:%d", g.FamilyID, g.Version)
	err := s.store.ClaimOnce(ctx, lease, s.now().Add(upstreamLease))
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, s.awaitCheck(ctx, g)
	}
	if err != nil {
		return nil, err
	}
	current, err := refresher.Refresh(ctx, g.Subject, tokens)
	if errors.Is(err, upstream.ErrGrantRevoked) {
		s.dropUpstreamGrant(ctx, g.FamilyID)
		return nil, errUpstreamRevoked
	}
	if err != nil {
		return nil, fmt.Errorf("refresh upstream: %w", err)
	}
	sealed, err := s.tracking.sealTokens(current.Tokens)
	if err != nil {
		return nil, err
	}
	err = s.store.UpdateUpstreamGrant(ctx, g.FamilyID, func(cur *store.UpstreamGrant) error {
		if cur.Version != g.Version {
			return errLostCheck
		}
		cur.RefreshToken, cur.CheckedAt, cur.Version = sealed, s.now(), cur.Version+1
		if current.Tokens.SessionID != "" {
			cur.SessionID = current.Tokens.SessionID
		}
		return nil
	})
	if err != nil {
		// The lease ran out during a slow refresh and another check went
		// on: one of the two upstream tokens is lost.
		return nil, fmt.Errorf("store upstream grant: %w", err)
	}
	return &current, nil
}

// dropUpstreamGrant ends a sign-in the IdP no longer vouches for,
// everywhere: the access and personal tokens naming it too.
func (s *Server) dropUpstreamGrant(ctx context.Context, id string) {
	if err := s.endUpstreamGrant(ctx, id); err != nil {
		s.log.WarnContext(ctx, "end upstream grant", "err", err)
	}
}

var errLostCheck = errors.New("authserver: another check of the upstream grant won")

// awaitCheck waits for the check under way of grant g to finish.
func (s *Server) awaitCheck(ctx context.Context, g store.UpstreamGrant) error {
	deadline := time.Now().Add(upstreamWait)
	for time.Now().Before(deadline) {
		cur, err := s.store.GetUpstreamGrant(ctx, g.FamilyID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return errUpstreamRevoked
		case err != nil:
			return err
		case cur.Version != g.Version:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(upstreamWaitSlice):
		}
	}
	return errors.New("authserver: the upstream check under way did not finish")
}
