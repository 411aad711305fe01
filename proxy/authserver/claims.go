package authserver

import (
	"context"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

func (s *Server) signAccessToken(ctx context.Context, clientID string, rt store.RefreshToken, now time.Time) (string, error) {
	claims := oauth.AccessClaims{
		Issuer:        s.cfg.Issuer,
		Subject:       rt.Identity.Subject,
		Audience:      rt.Resource,
		ClientID:      clientID,
		Scope:         strings.Join(rt.Scopes, " "),
		JWTID:         oauth.NewID(),
		IssuedAt:      now.Unix(),
		Expiry:        now.Add(s.cfg.AccessTokenTTL).Unix(),
		AuthTime:      rt.AuthTime.Unix(),
		SessionID:     rt.FamilyID,
		UpstreamGrant: rt.Identity.UpstreamGrant,
		IdP:           rt.Identity.IdP,
		Email:         rt.Identity.Email,
		EmailVerified: rt.Identity.EmailVerified,
		Name:          rt.Identity.Name,
		Groups:        rt.Identity.Groups,
	}
	if jkt := dpopKeyOf(ctx); jkt != "" {
		claims.Confirmation = &oauth.Confirmation{JKT: jkt}
	}
	tok, err := s.signer.Sign(ctx, oauth.AccessTokenType, claims)
	if err != nil {
		return "", internal("sign access token", err)
	}
	return tok, nil
}
