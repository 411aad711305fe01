// Package app wires a validated configuration into a running mcpgate: it
// opens the store, loads the signing keys, discovers the upstream IdP and
// builds the HTTP server. cmd/mcpgate and the end-to-end tests both start
// mcpgate through it, so what the tests run is what users run.
package app
