package oidc

import (
	"context"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/mcpgate/mcpgate/upstream"
)

var _ upstream.LogoutVerifier = (*Provider)(nil)

// notBeforeLeeway is go-oidc's for an ID token's nbf.
const notBeforeLeeway = time.Minute

// VerifyLogout implements upstream.LogoutVerifier.
func (p *Provider) VerifyLogout(ctx context.Context, raw string) (upstream.Logout, error) {
	if p.issuerUnchecked {
		// A preset that checks the issuer itself (Entra's multi-tenant
		// endpoints) verifies ID tokens without go-oidc's issuer check;
		// a logout token would go unchecked. Entra sends none anyway.
		return upstream.Logout{}, verificationError("back-channel logout is not supported with this IdP's settings")
	}
	lt, err := p.verifier.VerifyLogout(gooidc.ClientContext(ctx, p.client), raw)
	if err != nil {
		return upstream.Logout{}, verificationError("logout token: %v", err)
	}
	// go-oidc checks a logout token's exp but neither nbf nor an iat in
	// the future, which ID tokens are held to (OIDC Back-Channel Logout
	// §2.6 validates it as an ID token).
	var times struct {
		NotBefore *float64 `json:"nbf"`
	}
	if err := lt.Claims(&times); err != nil {
		return upstream.Logout{}, verificationError("logout token claims: %v", err)
	}
	now := p.now()
	if times.NotBefore != nil && now.Add(notBeforeLeeway).Before(time.Unix(int64(*times.NotBefore), 0)) {
		return upstream.Logout{}, verificationError("logout token is not valid yet (nbf)")
	}
	if lt.IssuedAt.After(now.Add(maxClockSkew)) {
		return upstream.Logout{}, verificationError("logout token issued in the future")
	}
	out := upstream.Logout{SessionID: lt.SessionID, TokenID: lt.TokenID, Expiry: lt.Expiry}
	if lt.Subject != "" {
		out.Subject = p.issuer + "#" + lt.Subject
	}
	return out, nil
}
