package oauth

// Grant types (RFC 6749, RFC 8628).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	// GrantJWTBearer (RFC 7523 §2.1) carries an ID-JAG: enterprise-managed
	// authorization.
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// ResponseTypeCode is the one response type mcpgate serves.
const ResponseTypeCode = "code"

// Token endpoint authentication methods (RFC 7591 §2, RFC 7523).
const (
	AuthNone          = "none"
	AuthSecretBasic   = "client_secret_basic"
	AuthSecretPost    = "client_secret_post"
	AuthPrivateKeyJWT = "private_key_jwt"
)

// AssertionTypeJWTBearer is the client_assertion_type of private_key_jwt.
const AssertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Where a client comes from, as store.Client.Source records it.
const (
	SourceConfig         = "config"
	SourceDCR            = "dcr"
	SourceCIMD           = "cimd"
	SourceServiceAccount = "service_account"
)

// BackChannelLogoutPath is where the upstream IdP posts OpenID Connect
// back-channel logout tokens: its backchannel_logout_uri is mcpgate's
// public URL and this path.
// With several upstream IdPs, each has its own: this path, "/" and the
// IdP's name.
const BackChannelLogoutPath = "/oauth/backchannel-logout"

// ChooserPath receives the sign-in chooser's form, when users sign in
// with one of several upstream IdPs.
const ChooserPath = "/oauth/choose"
