// Package devidp is a DEVELOPMENT-ONLY OpenID Connect identity provider.
//
// DO NOT USE IN PRODUCTION. ANYONE CAN SIGN IN AS ANYONE: the login page
// asks for a name, an email and groups and believes every word of it. There
// is no password, no account store and no consent.
//
// It exists so that `mcpgate demo` runs the complete sign-in path (discovery,
// authorization code with PKCE, signed ID tokens, JWKS, userinfo) in one
// command, offline and without configuration. `mcpgate serve` never enables
// it: production deployments always delegate login to a real upstream IdP.
//
// Everything lives in memory (the ES256 signing key included), so a restart
// invalidates every code and token and rotates the key.
package devidp
