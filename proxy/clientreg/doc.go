// Package clientreg owns the rules for OAuth clients registering with
// mcpgate: which redirect URIs a client may register, how a redirect URI sent
// to /authorize is matched against the registered ones, and how an RFC 7591
// dynamic registration request is validated, defaulted and answered.
//
// It is pure logic (no HTTP, no store access) so that the /register and
// /authorize handlers, the configuration loader for pre-registered clients
// and a future Client ID Metadata Document fetcher all apply the same rules.
//
// # Choices that are not dictated by the RFCs
//
// Loopback http for web clients. OIDC Dynamic Registration says web clients
// use https, but many MCP clients omit application_type and so register as
// web by default, and web clients such as MCP Inspector run on localhost.
// Loopback http never leaves the user's machine, so allowing it for web
// clients adds no exposure. Private-use schemes stay native-only: any app
// can claim one, which is why RFC 8252 pairs them with native apps and PKCE.
//
// Inferring native. When application_type is absent and every redirect URI is
// loopback http or a private-use scheme, the client is recorded as native
// rather than as the RFC default web. This mirrors the go-sdk client, which
// infers the type from its redirect URIs the same way, and keeps the record
// truthful for the consent page. A client that registers a private-use
// scheme is recorded as native whatever else it lists or says (Cursor sends
// one beside an https and a loopback URI, without application_type): RFC
// 7591 §2 lets the server register metadata other than asked, and refusing
// would leave the client unable to connect. Otherwise an https redirect URI
// keeps the default web.
//
// localhost and 127.0.0.1 are different hosts. RFC 8252 §7.3 relaxes only the
// port of a loopback redirect URI. Treating localhost, 127.0.0.1 and [::1] as
// one host would be a second relaxation the RFC does not make: localhost is a
// name that a hostile resolver or hosts file can point elsewhere, and a client
// that registered one form sends the same form back. Clients that want both
// register both.
//
// Trailing slash on loopback paths. VS Code registers http://127.0.0.1:33418/
// and sometimes returns without the slash (and the reverse); for loopback
// URIs only, a single trailing slash on the path is ignored when matching.
// Everything else is an exact string comparison, with no decoding or case
// folding, so encoded and look-alike variants never match.
package clientreg
