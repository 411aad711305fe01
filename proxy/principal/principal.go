// Package principal is who a request to the MCP endpoint is for. A
// Verifier turns the request's bearer token into a Principal, and
// forwarding, policy and audit all read that one value. Access tokens
// (JWTs mcpgate signed) have a verifier here; another kind of token is
// another Verifier beside it.
package principal

import (
	"context"
	"time"
)

// Kind says what sort of token a principal was verified from.
type Kind string

// KindAccessToken is an OAuth access token mcpgate issued (RFC 9068 JWT).
const KindAccessToken Kind = "access_token"

// KindPersonalToken is a personal access token a user made on the account
// page.
const KindPersonalToken Kind = "personal_token"

// Principal is the verified caller of an MCP request.
type Principal struct {
	// Subject is stable and unique across IdPs ("<issuer>#<sub>"), or a
	// service account's id.
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
	// IdP names the upstream IdP the user signed in with, when there are
	// several; "" otherwise, and for service accounts.
	IdP      string
	ClientID string
	Scopes   []string
	// Audience is the resource the token was issued for; Resources, when
	// set instead, the several it is good for (a personal access token).
	Audience  string
	Resources []string
	Kind      Kind
	// GrantID is the grant (refresh family) the token belongs to, by
	// which a revocation finds it; empty for grants without one
	// (client_credentials).
	GrantID string
	// UpstreamGrantID is the IdP sign-in the grant came from, which a
	// logout at the IdP revokes; empty when mcpgate keeps none.
	UpstreamGrantID string
	// DPoPJKT is the thumbprint of the key the token is bound to (its
	// cnf.jkt), "" for a bearer token: each request must then carry a
	// DPoP proof made with that key.
	DPoPJKT string
	// Expiry is when the token stops being valid.
	Expiry time.Time
}

// HasScope reports whether the principal's token carries scope.
func (p *Principal) HasScope(scope string) bool {
	for _, s := range p.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// For reports whether the token is good for resource.
func (p *Principal) For(resource string) bool {
	if p.Audience == resource {
		return true
	}
	for _, r := range p.Resources {
		if r == resource {
			return true
		}
	}
	return false
}

// Verifier turns a bearer token into the principal it stands for.
type Verifier interface {
	// Verify returns the principal, or a *Refusal saying why the token is
	// not accepted; any other error is the verifier's own failure.
	Verify(ctx context.Context, token string, now time.Time) (*Principal, error)
}

// Refusal is a token that is not accepted; Description is safe to send to
// the client (RFC 6750 error_description).
type Refusal struct{ Description string }

func (r *Refusal) Error() string { return "principal: token refused: " + r.Description }

// ByPrefix verifies the tokens that start with Prefix with Match and all
// others with Other: each kind of token goes to its one verifier, and a
// token of one kind is never tried as another.
type ByPrefix struct {
	Prefix string
	Match  Verifier
	Other  Verifier
}

// Verify implements Verifier.
func (b ByPrefix) Verify(ctx context.Context, token string, now time.Time) (*Principal, error) {
	if len(token) >= len(b.Prefix) && token[:len(b.Prefix)] == b.Prefix {
		return b.Match.Verify(ctx, token, now)
	}
	return b.Other.Verify(ctx, token, now)
}
