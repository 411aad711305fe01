package proxy

import (
	"context"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/principal"
	"github.com/mcpgate/mcpgate/proxy/signer"
)

// assertionMargin: a cached assertion is re-signed this long before it
// expires, so the backend never receives one about to lapse.
const assertionMargin = 30

// backendAssertion signs the identity JWT sent to the backend.
type backendAssertion struct {
	signer   signer.Signer
	issuer   string
	audience string
	ttl      time.Duration
}

type assertionClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	IssuedAt int64  `json:"iat"`
	Expiry   int64  `json:"exp"`
	JWTID    string `json:"jti"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
	Email    string `json:"email,omitempty"`
	// EmailVerified accompanies every email, true or false.
	EmailVerified *bool    `json:"email_verified,omitempty"`
	Name          string   `json:"name,omitempty"`
	Groups        []string `json:"groups,omitempty"`
}

// sign returns the assertion for the token's identity; it never outlives
// the access token it stands for.
func (a *backendAssertion) sign(ctx context.Context, c *principal.Principal, now time.Time) (string, int64, error) {
	exp := now.Add(a.ttl).Unix()
	if e := c.Expiry.Unix(); e < exp {
		exp = e
	}
	var verified *bool
	if c.Email != "" {
		verified = &c.EmailVerified
	}
	tok, err := a.signer.Sign(ctx, "JWT", assertionClaims{
		Issuer:        a.issuer,
		Subject:       c.Subject,
		Audience:      a.audience,
		IssuedAt:      now.Unix(),
		Expiry:        exp,
		JWTID:         oauth.NewID(),
		ClientID:      c.ClientID,
		Scope:         strings.Join(c.Scopes, " "),
		Email:         c.Email,
		EmailVerified: verified,
		Name:          c.Name,
		Groups:        c.Groups,
	})
	return tok, exp, err
}
