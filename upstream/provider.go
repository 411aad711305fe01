package upstream

import (
	"context"
	"errors"
	"time"
)

// Identity is who the IdP says signed in, verified, with the subject
// already made unique across IdPs. The authorization server decides what
// of it mcpgate vouches for (an unverified email, say, is dropped).
type Identity struct {
	// Subject is the upstream issuer and the upstream sub joined by '#'
	// (issuers never contain a fragment).
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
	// Tokens are what the IdP granted with this sign-in, for checking the
	// user again later (Refresher); not part of who the user is.
	Tokens Tokens
}

// Tokens are an IdP's grant: what a Refresher needs to ask about the user
// again.
type Tokens struct {
	AccessToken string
	// RefreshToken is "" when the IdP gave none (GitHub OAuth apps).
	RefreshToken string
	Expiry       time.Time
	// SessionID is the ID token's sid, when the IdP names its sessions
	// (back-channel logout refers to them).
	SessionID string
}

// LoginParams are the per-login secrets mcpgate generates and keeps until the
// callback: the state sent upstream, the OIDC nonce and the PKCE verifier.
type LoginParams struct {
	State    string
	Nonce    string
	Verifier string
	// LoginHint is the email the user gave mcpgate, passed on so the IdP
	// need not ask again (OpenID Connect Core §3.1.2.1); "" for none.
	LoginHint string
}

// Callback is what the IdP sent back to the redirect URI on success.
type Callback struct {
	Code string
	// Iss is the RFC 9207 iss response parameter, empty when absent.
	Iss string
}

// Provider is an upstream identity provider.
type Provider interface {
	// AuthCodeURL returns where to send the browser to sign in.
	AuthCodeURL(p LoginParams) string
	// Exchange redeems the callback's code and verifies what comes back. It
	// returns an error wrapping ErrVerification when the IdP's answer fails a
	// check (a forged or replayed response), other errors otherwise.
	Exchange(ctx context.Context, cb Callback, p LoginParams) (Identity, error)
}

// Refresher is a Provider that can ask the IdP about a user again after
// the sign-in: whether they may still sign in, and who they are now.
type Refresher interface {
	// Refresh redeems t's refresh token (or, where the IdP gives none,
	// uses its access token) for the user subject. It returns the user as
	// the IdP describes them now, with the IdP's new tokens (a rotated
	// refresh token replaces the old one, which must not be used again),
	// or an error wrapping ErrGrantRevoked when the IdP no longer grants
	// access (user disabled, grant revoked, password reset).
	Refresh(ctx context.Context, subject string, t Tokens) (Identity, error)
	// Refreshable reports whether t is enough to Refresh with.
	Refreshable(t Tokens) bool
}

// ErrGrantRevoked marks a Refresh the IdP refused for good.
var ErrGrantRevoked = errors.New("upstream: the IdP no longer grants access")

// ErrVerification marks a callback whose tokens or parameters failed
// verification: the sign-in is refused, never retried.
var ErrVerification = errors.New("upstream: verification failed")

// Refusal is an Exchange error for a user the IdP signed in but whom the
// provider's own rules turn away (a Google account outside the allowed
// domains, an Entra tenant not allowed): the user is shown who they are
// and why, and nothing is issued.
type Refusal struct {
	// Subject and Email are who the IdP signed in, as far as known.
	Subject, Email string
	// Reason is shown to the user: plain words, no internal detail.
	Reason string
	// Cause is what went wrong inside, if anything: logged, never shown.
	Cause error
}

func (r *Refusal) Error() string { return "upstream: sign-in refused: " + r.Reason }

// The kinds of upstream IdP mcpgate knows (upstream.type in the config).
const (
	TypeOIDC     = "oidc"
	TypeGoogle   = "google"
	TypeEntra    = "entra"
	TypeOkta     = "okta"
	TypeKeycloak = "keycloak"
	TypeGitHub   = "github"
)

// Types lists them, the default first.
var Types = []string{TypeOIDC, TypeGoogle, TypeEntra, TypeOkta, TypeKeycloak, TypeGitHub}

// Logout is a verified OIDC back-channel logout token: the IdP says a
// user's sign-ins, or one of its sessions, have ended.
type Logout struct {
	// Subject is the user in Identity.Subject's form; "" when the token
	// names only a session.
	Subject string
	// SessionID is the IdP session that ended (the sid of its ID tokens);
	// "" for every session of Subject.
	SessionID string
	// TokenID is the token's jti, by which a replay is refused.
	TokenID string
	// Expiry is when the token stops being valid.
	Expiry time.Time
}

// LogoutVerifier is a Provider whose IdP can tell mcpgate of logouts
// (OpenID Connect Back-Channel Logout 1.0).
type LogoutVerifier interface {
	// VerifyLogout checks a logout token (signature, iss, aud, iat, exp,
	// the logout event, no nonce) and returns what it says, or an error
	// wrapping ErrVerification.
	VerifyLogout(ctx context.Context, rawToken string) (Logout, error)
}

// IDJAG is a verified Identity Assertion JWT Authorization Grant
// (draft-ietf-oauth-identity-assertion-authz-grant): the IdP vouching that
// its user may reach a resource through a client, with no browser sign-in
// at mcpgate.
type IDJAG struct {
	// Identity is the user, mapped exactly as a browser sign-in through
	// this IdP maps its ID token.
	Identity Identity
	// ClientID is the client the IdP issued the grant to.
	ClientID string
	// Resource is the resource the grant is for; Scopes what it allows
	// (none when the IdP named none).
	Resource string
	Scopes   []string
	// TokenID is the jti, spent once; Expiry ends the grant.
	TokenID string
	Expiry  time.Time
}

// IDJAGVerifier is a Provider that can verify its IdP's ID-JAGs.
type IDJAGVerifier interface {
	// Issuer is the IdP's issuer, which an ID-JAG's iss must be.
	Issuer() string
	// VerifyIDJAG checks the assertion (typ oauth-id-jag+jwt, signature
	// by the IdP's keys, iss, aud naming audience, exp, iat, jti,
	// client_id) and returns what it says, or an error wrapping
	// ErrVerification.
	VerifyIDJAG(ctx context.Context, raw, audience string) (IDJAG, error)
}
