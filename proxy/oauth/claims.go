package oauth

// AccessTokenType is the JWT typ of mcpgate's access tokens (RFC 9068).
const AccessTokenType = "at+jwt"

// AccessClaims are the claims of an access token (RFC 9068 §2.2), plus the
// identity mcpgate vouches for.
type AccessClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
	JWTID    string `json:"jti"`
	IssuedAt int64  `json:"iat"`
	Expiry   int64  `json:"exp"`
	// NotBefore is never set by mcpgate; a token that carries one is held
	// to it, as RFC 7519 §4.1.5 says.
	NotBefore int64 `json:"nbf,omitempty"`
	AuthTime  int64 `json:"auth_time,omitempty"`
	// SessionID is the refresh family the token was issued in, so that a
	// revocation of the family can reach its access tokens.
	SessionID string `json:"sid,omitempty"`
	// UpstreamGrant names the IdP sign-in the grant came from, so that a
	// logout at the IdP revokes the token too.
	UpstreamGrant string `json:"upstream_grant,omitempty"`
	// IdP names the upstream IdP the user signed in with, when there are
	// several.
	IdP           string   `json:"idp,omitempty"`
	Email         string   `json:"email,omitempty"`
	EmailVerified bool     `json:"email_verified,omitempty"`
	Name          string   `json:"name,omitempty"`
	Groups        []string `json:"groups,omitempty"`
	// Confirmation binds the token to a key (RFC 7800 cnf; RFC 9449
	// jkt): only requests with a DPoP proof by that key may use it.
	Confirmation *Confirmation `json:"cnf,omitempty"`
}

// Confirmation is the cnf claim of a sender-constrained token.
type Confirmation struct {
	JKT string `json:"jkt"`
}
