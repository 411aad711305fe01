// Package cimd resolves OAuth Client ID Metadata Documents
// (draft-ietf-oauth-client-id-metadata-document, used by MCP 2025-11-25 and
// later): a client_id that is an https URL names a JSON document of client
// metadata, which mcpgate fetches instead of requiring a registration.
//
// Resolver.Resolve turns such a client_id into a store.Client (Source
// "cimd") and caches it. The client metadata rules are clientreg's, the same
// as for dynamic registration, so a document is held to exactly what a
// registration request would be.
//
// Fetching a URL that anyone can choose makes mcpgate an HTTP client on an
// attacker's behalf, so most of this package is about where and how it
// fetches.
//
// # Where fetches go
//
// Only to public addresses. The host is resolved once, every address is
// checked, and the connection is made to a checked address (the address is
// pinned; TLS and the Host header still use the name). A second check runs
// in the dialer's Control hook on the address the socket actually connects
// to, so neither a DNS answer that changes between check and connect (DNS
// rebinding) nor anything else that rewrites the address can reach an
// internal one. Refused: loopback, RFC 1918 and other private ranges, ULA,
// link-local (with the 169.254.169.254 and fd00:ec2::254 metadata
// services), CGNAT, multicast, unspecified, documentation and benchmarking
// ranges, the IPv4-mapped, NAT64 and 6to4 forms of IPv4 ones, and every
// IPv6 address outside 2000::/3. If any address of a host is refused, the
// host is refused. Options.AllowedNetworks lists exceptions. Proxies from
// the environment are ignored, since a proxy would connect out of reach of
// these checks.
//
// A refused address is reported as ErrInvalidClient and logged at warning
// level: it is what a server-side request forgery attempt looks like.
//
// # How fetches go
//
// GET over TLS 1.2 or later, verified against Options.RootCAs. The whole
// fetch is bounded by Options.HTTPTimeout and the body by Options.MaxBytes.
// Only a 200 with Content-Type application/json (parameters allowed) is a
// document. Redirects are never followed: the draft forbids it, and a
// redirect would be a second URL to vet. Any 3xx is a failed fetch.
//
// # What a document must say
//
// client_id equal, as a string, to the URL it was fetched from. No
// client_secret or client_secret_expires_at. token_endpoint_auth_method
// none, or absent (which means none here, not RFC 7591's
// client_secret_basic): CIMD clients are public, there being no way to
// share a secret with them. Everything else as clientreg.ValidateMetadata
// checks for a registration: redirect_uris required and valid for the
// (possibly inferred) application_type, grant types authorization_code and
// refresh_token only, client_name, logo_uri and client_uri displayable.
//
// # Caching
//
// A document is used for its HTTP freshness lifetime (Cache-Control
// s-maxage or max-age, else Expires, less Age), clamped into
// [CacheMin, CacheMax]. no-store and no-cache are honoured as a lifetime of
// zero, which the clamp raises to CacheMin: CacheMin is the floor on how
// often any request flood can make mcpgate fetch one URL. A failed
// resolution is cached for 30 seconds, so a broken or slow client_id costs
// one fetch per 30 seconds however often it is named, and a fixed document
// is picked up soon. Concurrent resolutions of one client_id share a single
// fetch. The cache holds at most 10,000 entries.
//
// Validation of the client_id itself and the trust policy are not cached:
// they are cheap and need no network.
//
// # Not done here
//
// Rate limiting of the endpoints that name client_ids belongs to the HTTP
// layer; a flood of distinct URLs still causes one fetch each. The consent
// page should show the client_id's host, since client_name is whatever the
// document's owner chose.
package cimd
