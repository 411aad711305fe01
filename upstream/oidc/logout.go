package oidc

import (
	"context"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/mcpgate/mcpgate/upstream"
)

var _ upstream.LogoutVerifier = (*Provider)(nil)

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
	out := upstream.Logout{SessionID: lt.SessionID, TokenID: lt.TokenID, Expiry: lt.Expiry}
	if lt.Subject != "" {
		out.Subject = p.issuer + "#" + lt.Subject
	}
	return out, nil
}
