package principal

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// KeyVerifier checks a JWS mcpgate signed and returns its payload; the
// signer implements it.
type KeyVerifier interface {
	Verify(token, wantTyp string) ([]byte, error)
}

// JWTVerifier verifies mcpgate's own access tokens: signature and typ,
// issuer, audience = one of the resources served, expiry.
type JWTVerifier struct {
	Keys      KeyVerifier
	Issuer    string
	Resources []string
}

var _ Verifier = (*JWTVerifier)(nil)

// notBeforeLeeway allows for replicas' clocks disagreeing a little.
const notBeforeLeeway = time.Minute

var errInvalid = &Refusal{Description: "the access token is not valid"}

// Verify implements Verifier.
func (v *JWTVerifier) Verify(_ context.Context, token string, now time.Time) (*Principal, error) {
	payload, err := v.Keys.Verify(token, oauth.AccessTokenType)
	if err != nil {
		return nil, errInvalid
	}
	var c oauth.AccessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, errInvalid
	}
	switch {
	case c.Issuer != v.Issuer:
		return nil, &Refusal{Description: "the access token was issued by another server"}
	case !v.serves(c.Audience):
		return nil, &Refusal{Description: "the access token is for another resource"}
	case c.Expiry == 0 || now.Unix() >= c.Expiry:
		return nil, &Refusal{Description: "the access token has expired"}
	case c.NotBefore != 0 && now.Add(notBeforeLeeway).Unix() < c.NotBefore:
		return nil, &Refusal{Description: "the access token is not valid yet"}
	case c.Subject == "" || c.ClientID == "":
		return nil, errInvalid
	}
	return &Principal{
		Subject:         c.Subject,
		Email:           c.Email,
		EmailVerified:   c.EmailVerified,
		Name:            c.Name,
		Groups:          c.Groups,
		IdP:             c.IdP,
		ClientID:        c.ClientID,
		Scopes:          strings.Fields(c.Scope),
		Audience:        c.Audience,
		Kind:            KindAccessToken,
		GrantID:         c.SessionID,
		UpstreamGrantID: c.UpstreamGrant,
		Expiry:          time.Unix(c.Expiry, 0),
		DPoPJKT:         jktOf(c.Confirmation),
	}, nil
}

func (v *JWTVerifier) serves(aud string) bool {
	for _, r := range v.Resources {
		if aud == r {
			return true
		}
	}
	return false
}

func jktOf(c *oauth.Confirmation) string {
	if c == nil {
		return ""
	}
	return c.JKT
}
