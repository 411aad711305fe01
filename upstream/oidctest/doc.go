// Package oidctest runs the zitadel example OpenID Provider in-process, a
// real and independent OIDC implementation, so that tests exercise mcpgate's
// upstream sign-in against something other than mcpgate's own assumptions.
//
// It is a test helper (imported by other packages' tests), not part of the
// mcpgate binary.
package oidctest
