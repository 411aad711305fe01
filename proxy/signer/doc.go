// Package signer owns mcpgate's token signing keys: it creates, persists,
// rotates and publishes ECDSA P-256 keys and signs and verifies compact
// ES256 JWS (RFC 9068 access tokens among them). go-jose does the JWS;
// Verify adds, before it, what makes one token have one spelling (strict
// base64url) and the refusals RFC 7515 asks of a verifier implementing no
// extension (crit), and pins alg before any key lookup.
//
// Keys live in the shared store so that every replica signs with, and
// publishes, the same keys. Each replica keeps a parsed in-memory snapshot
// that Run reloads every RefreshInterval; Sign, Verify and PublicKey read
// that snapshot and only fall back to the store when the snapshot cannot
// answer (the signing key retired by the clock, or an unknown kid).
//
// Lifecycle of a key, as recorded in store.SigningKey:
//
//	CreatedAt  published in the JWKS
//	ActiveAt   may sign (the newest active key signs)
//	RetiredAt  stops signing (equals its successor's ActiveAt)
//	ExpiresAt  unpublished: RetiredAt + TokenLifetime + 1m, when the last
//	           token it signed has expired
//
// A successor is published PublishDelay before it signs so that every replica
// and every relying party's cached JWKS knows it before the first token
// signed with it shows up.
package signer
