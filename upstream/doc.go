// Package upstream is the seam between mcpgate and the identity provider
// the users sign in with. A Provider sends the browser to the IdP and turns
// the callback into a verified Identity; it knows nothing of HTTP servers,
// MCP clients or mcpgate's own tokens.
//
// Implementations live in sub-packages (oidc for any OpenID Connect IdP).
package upstream
