// Package oidc is an upstream.Provider for any OpenID Connect IdP that
// supports discovery and the authorization code flow with PKCE.
//
// Besides what go-oidc verifies (signature, issuer, audience, expiry) it
// checks the nonce, at_hash when present, and the RFC 9207 iss response
// parameter, so that a response minted for another client, another login
// or another IdP is refused.
package oidc
