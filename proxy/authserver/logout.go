package authserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/upstream"
)

// A refused logout request gets 400 with an OAuth error (OpenID Connect
// Back-Channel Logout 1.0 §2.8) naming no internal detail.
var errLogoutToken = oauth.NewError(oauth.ErrInvalidRequest, "the logout token is not valid")

// LogoutIdPs names the IdPs that can send mcpgate logout tokens, when
// mcpgate keeps the sign-ins they would end.
func (s *Server) LogoutIdPs() []string {
	if s.tracking == nil {
		return nil
	}
	var out []string
	for i := range s.idps {
		if s.idps[i].logouts() != nil {
			out = append(out, s.idps[i].Name)
		}
	}
	return out
}

// BackChannelLogout ends the MCP grants behind the sign-ins a logout token
// from the IdP names: every sign-in of the user, or those of one IdP
// session. Their refresh tokens fail from now on (invalid_grant), and
// their access tokens wherever they are presented, within the replicas'
// revocation poll. It returns how many sign-ins it ended.
// The token is verified as the IdP named idpName's; the subjects it can
// name are that IdP's users only.
func (s *Server) BackChannelLogout(ctx context.Context, idpName, rawToken string) (int, error) {
	var lv upstream.LogoutVerifier
	if idp := s.idp(idpName); idp != nil {
		lv = idp.logouts()
	}
	if lv == nil || s.tracking == nil {
		return 0, oauth.NewError(oauth.ErrInvalidRequest, "this server does not accept logout tokens from its identity provider")
	}
	if rawToken == "" {
		return 0, oauth.NewError(oauth.ErrInvalidRequest, "logout_token is missing")
	}
	lo, err := lv.VerifyLogout(ctx, rawToken)
	if err != nil {
		s.log.WarnContext(ctx, "logout token refused", "err", err)
		return 0, errLogoutToken
	}
	if lo.Subject == "" {
		// Grants are found by user; a token naming only a session cannot
		// be matched to its user here.
		return 0, oauth.NewError(oauth.ErrInvalidRequest, "logout tokens must name the user (sub)")
	}
	// §2.6: a logout token is used once. A replay would do no harm but
	// is a sign of something amiss.
	err = s.store.ClaimOnce(ctx, "logout-token:"+lo.Subject+":"+lo.TokenID, lo.Expiry.Add(revocationMargin))
	if errors.Is(err, store.ErrAlreadyExists) {
		return 0, oauth.NewError(oauth.ErrInvalidRequest, "the logout token was used before")
	}
	if err != nil {
		return 0, internal("logout: claim token", err)
	}
	grants, err := s.store.UpstreamGrantsOf(ctx, lo.Subject)
	if err != nil {
		return 0, internal("logout: list grants", err)
	}
	ended := 0
	for _, g := range grants {
		if lo.SessionID != "" && g.SessionID != lo.SessionID {
			continue
		}
		if err := s.endUpstreamGrant(ctx, g.FamilyID); err != nil {
			return ended, internal("logout", err)
		}
		ended++
	}
	s.log.InfoContext(ctx, "back-channel logout", "sub", lo.Subject, "session", lo.SessionID != "", "grants_ended", ended)
	return ended, nil
}

// endUpstreamGrant ends every MCP grant started from the upstream grant
// id: the grant is deleted, so each of its refresh families fails its next
// refresh, and it is revoked like a family, which the access tokens
// naming it (their upstream_grant claim) meet at the MCP endpoint.
func (s *Server) endUpstreamGrant(ctx context.Context, id string) error {
	if err := s.store.DeleteUpstreamGrant(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete upstream grant: %w", err)
	}
	// Personal access tokens name the grant too, and are trusted without
	// a store read for up to PersonalTokenRecheck.
	if err := s.revokeFor(ctx, id, max(s.cfg.AccessTokenTTL, PersonalTokenRecheck)); err != nil {
		return fmt.Errorf("revoke upstream grant: %w", err)
	}
	return nil
}
