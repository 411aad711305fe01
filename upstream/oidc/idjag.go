package oidc

import (
	"context"
	"fmt"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
)

var _ upstream.IDJAGVerifier = (*Provider)(nil)

// idJAGType is the JWT typ of an ID-JAG.
const idJAGType = "oauth-id-jag+jwt"

// maxIDJAGLife bounds exp − iat: ID-JAGs are minutes-lived, and one that
// lives for days is a bearer credential mcpgate should not honour.
const maxIDJAGLife = 15 * time.Minute

// idJAGAlgorithms are what an IdP signs with; never none or HMAC.
var idJAGAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// Issuer implements upstream.IDJAGVerifier.
func (p *Provider) Issuer() string { return p.issuer }

// VerifyIDJAG implements upstream.IDJAGVerifier.
func (p *Provider) VerifyIDJAG(ctx context.Context, raw, audience string) (upstream.IDJAG, error) {
	if p.issuerUnchecked {
		return upstream.IDJAG{}, verificationError("ID-JAGs are not supported with this IdP's settings")
	}
	jws, err := jose.ParseSignedCompact(raw, idJAGAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return upstream.IDJAG{}, verificationError("ID-JAG is not a signed JWT with a supported algorithm")
	}
	if typ, _ := jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, idJAGType) {
		return upstream.IDJAG{}, verificationError("ID-JAG typ is %q, not %s", typ, idJAGType)
	}
	// go-oidc checks the signature with the IdP's published keys, iss,
	// aud (here mcpgate's issuer, not the client) and exp; an ID-JAG has
	// no nonce.
	v := p.op.Verifier(&gooidc.Config{ClientID: audience, Now: p.now, SupportedSigningAlgs: algNames(idJAGAlgorithms)})
	tok, err := v.Verify(gooidc.ClientContext(ctx, p.client), raw)
	if err != nil {
		return upstream.IDJAG{}, fmt.Errorf("%w: ID-JAG: %w", upstream.ErrVerification, err)
	}
	var c struct {
		ClientID string `json:"client_id"`
		Resource any    `json:"resource"`
		Scope    string `json:"scope"`
		JTI      string `json:"jti"`
	}
	if err := tok.Claims(&c); err != nil {
		return upstream.IDJAG{}, verificationError("ID-JAG claims: %v", err)
	}
	now := p.now()
	switch {
	case c.ClientID == "":
		return upstream.IDJAG{}, verificationError("ID-JAG has no client_id")
	case c.JTI == "":
		return upstream.IDJAG{}, verificationError("ID-JAG has no jti")
	case tok.IssuedAt.IsZero():
		return upstream.IDJAG{}, verificationError("ID-JAG has no iat")
	case tok.IssuedAt.After(now.Add(maxClockSkew)):
		return upstream.IDJAG{}, verificationError("ID-JAG issued in the future")
	case tok.Expiry.Sub(tok.IssuedAt) > maxIDJAGLife:
		return upstream.IDJAG{}, verificationError("ID-JAG lives longer than %v", maxIDJAGLife)
	}
	resource, ok := c.Resource.(string)
	if !ok || resource == "" {
		return upstream.IDJAG{}, verificationError("ID-JAG names no single resource")
	}
	// The same mapping, and the same preset checks (a Google hd, an Entra
	// tenant), as a browser sign-in's ID token; there is no userinfo to
	// add, since no access token comes with the grant.
	id, err := p.identify(ctx, &oauth2.Token{}, tok, false)
	if err != nil {
		return upstream.IDJAG{}, err
	}
	id.Tokens = upstream.Tokens{}
	return upstream.IDJAG{Identity: id, ClientID: c.ClientID, Resource: resource, Scopes: strings.Fields(c.Scope),
		TokenID: c.JTI, Expiry: tok.Expiry}, nil
}

func algNames(algs []jose.SignatureAlgorithm) []string {
	out := make([]string, len(algs))
	for i, a := range algs {
		out[i] = string(a)
	}
	return out
}
