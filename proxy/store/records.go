package store

import "time"

// Identity is who signed in, as mcpgate vouches for it. It is copied into
// codes and refresh tokens so that a token carries the identity seen at
// sign-in without asking the upstream again.
type Identity struct {
	// Subject is stable and unique across upstreams: upstream issuer and
	// upstream sub joined by '#' (issuers never contain a fragment).
	Subject       string   `json:"sub"`
	Email         string   `json:"email,omitempty"`
	EmailVerified bool     `json:"email_verified,omitempty"`
	Name          string   `json:"name,omitempty"`
	Groups        []string `json:"groups,omitempty"`
	// UpstreamGrant names the UpstreamGrant of the sign-in, when mcpgate
	// keeps the IdP's grant to check the user again on refresh.
	UpstreamGrant string `json:"upstream_grant,omitempty"`
	// IdP names the upstream IdP the user signed in with, when there are
	// several (config upstreams); "" for the only one.
	IdP string `json:"idp,omitempty"`
}

// Client is a registered OAuth client.
type Client struct {
	ID string
	// SecretHash is the hash of the client secret; empty for public clients.
	SecretHash              string
	Name                    string
	RedirectURIs            []string
	GrantTypes              []string
	ResponseTypes           []string
	TokenEndpointAuthMethod string
	// ApplicationType is "web" or "native" (OIDC Dynamic Registration).
	ApplicationType string
	Scope           string
	ClientURI       string
	LogoURI         string
	// Source tells how the client came to be: "dcr", "config", "cimd".
	Source    string
	CreatedAt time.Time
	// ExpiresAt is zero for clients that do not expire.
	ExpiresAt time.Time
}

// AuthRequest is a pending authorization: it lives from /authorize through
// consent and the upstream login until the callback consumes it.
type AuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	State               string
	Scopes              []string
	Resource            string
	CodeChallenge       string
	CodeChallengeMethod string
	// BrowserHash binds the request to the browser that started it (hash of
	// a random cookie value).
	BrowserHash string
	// ConsentGiven is set when the user approved on the consent page in
	// this flow.
	ConsentGiven bool
	// Upstream leg, set once the browser is sent to the IdP. The state sent
	// upstream carries a secret whose hash is UpstreamStateHash.
	UpstreamStateHash string
	UpstreamNonce     string
	UpstreamVerifier  string
	// Upstream names the IdP the browser was sent to ("" when there is
	// one); only its callback may complete the request.
	Upstream string
	// Identity is set after the callback when consent must still be asked
	// (the user signed in as someone who had not approved this client).
	Identity  *Identity
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuthCode is an authorization code, stored under the hash of the code.
type AuthCode struct {
	Hash                string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	Resource            string
	CodeChallenge       string
	CodeChallengeMethod string
	Identity            Identity
	// AuthTime is when the user signed in upstream.
	AuthTime time.Time
	// Redeemed is set by the first successful redemption, together with the
	// refresh family it issued, so that a replay can revoke that family.
	Redeemed  bool
	FamilyID  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// RefreshToken is one refresh token of a family, stored under its hash.
// Rotation creates a successor in the same family and marks the current one
// RotatedAt; presenting a rotated token outside the grace window revokes the
// family.
type RefreshToken struct {
	Hash     string
	FamilyID string
	ClientID string
	Scopes   []string
	Resource string
	Identity Identity
	AuthTime time.Time
	// DPoPJKT binds the family to a client's DPoP key (RFC 9449 §5): a
	// public client's refresh tokens are honoured only with a proof by
	// that key. "" for an unbound family.
	DPoPJKT string
	// FamilyExpiresAt bounds the whole family: rotation never extends it.
	FamilyExpiresAt time.Time
	RotatedAt       time.Time
	CreatedAt       time.Time
	ExpiresAt       time.Time
}

// UpstreamGrant is what the upstream IdP granted behind one refresh
// family: its refresh token, who it is for, and when mcpgate last checked
// with the IdP that the user may still sign in.
type UpstreamGrant struct {
	FamilyID string
	// Subject is the user's subject in mcpgate.
	Subject string
	// SessionID is the IdP's session (the ID token's sid), if it named one.
	SessionID string
	// RefreshToken is the IdP's refresh token, sealed by the caller; nil
	// when the IdP gave none.
	RefreshToken []byte
	CheckedAt    time.Time
	// Version counts the changes, so that a writer can tell whether the
	// grant changed since it read it.
	Version   int64
	CreatedAt time.Time
	// ExpiresAt is the family's end.
	ExpiresAt time.Time
}

// Grant is a refresh family as the account page shows it: the client that
// holds it, for what, since when and last used when. It lives as long as
// the family and goes with its revocation.
type Grant struct {
	FamilyID   string
	Subject    string
	ClientID   string
	Scopes     []string
	Resource   string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
}

// PersonalToken is a personal access token, stored under the hash of the
// token (which is never kept): what it stands for, and its lifetime.
type PersonalToken struct {
	Hash string
	// ID names the token in lists, revocations and the audit log.
	ID   string
	Name string
	// Identity is the user as at the token's creation, or as the IdP last
	// described them; its Subject is the owner.
	Identity Identity
	Scopes   []string
	// Resources are the protected resources (backends) the token is good
	// for.
	Resources  []string
	CreatedAt  time.Time
	LastUsedAt time.Time
	// ExpiresAt is when it stops working; far in the future for a token
	// that does not expire.
	ExpiresAt time.Time
}

// Consent records that a user approved a client, for exactly these scopes
// and resources: a later request for more asks again.
type Consent struct {
	Subject   string
	ClientID  string
	Scopes    []string
	Resources []string
	CreatedAt time.Time
	// ExpiresAt is zero for consents that do not expire.
	ExpiresAt time.Time
}

// SigningKey is a token signing key pair. A key is published in the JWKS
// from CreatedAt, signs from ActiveAt until RetiredAt, and is deleted at
// ExpiresAt (after the last token it signed has expired).
type SigningKey struct {
	ID        string
	Algorithm string
	// PrivateKey is the PKCS#8 DER encoding (possibly sealed by the caller).
	PrivateKey []byte
	// PublicKey is the PKIX DER encoding.
	PublicKey []byte
	CreatedAt time.Time
	ActiveAt  time.Time
	// RetiredAt is zero while the key may sign.
	RetiredAt time.Time
	// ExpiresAt is zero until the key is retired.
	ExpiresAt time.Time
}

// Revocation records that a grant (a refresh family, and every access
// token issued in it: their sid) was revoked. It is kept until ExpiresAt,
// when no access token of the grant can still be valid.
type Revocation struct {
	FamilyID  string
	RevokedAt time.Time
	ExpiresAt time.Time
}
