// Package authserver is mcpgate's OAuth 2.1 authorization server logic:
// authorization requests, consent, the upstream round trip, the token
// grants, revocation and client registration. It works on plain values and
// the store, signer and upstream seams; the HTTP layer (package proxy)
// translates requests and responses and owns cookies and pages.
package authserver
