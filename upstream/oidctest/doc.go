// Package oidctest runs OpenID Providers in-process for tests.
//
// Start runs the zitadel example OpenID Provider, a real and independent
// OIDC implementation, so that tests exercise mcpgate's upstream sign-in
// against something other than mcpgate's own assumptions. StartHostile runs
// a provider whose ID tokens the test scripts (bad signature, wrong
// audience, wrong nonce...), to prove such answers are refused.
//
// It is a test helper (imported by other packages' tests), not part of the
// mcpgate binary.
package oidctest
