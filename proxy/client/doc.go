// Package client is mcpgate's client half: an OAuth 2.1 client for any
// spec-compliant MCP server (mcpgate or another). It discovers the
// server's authorization server, registers (a Client ID Metadata
// Document, a pre-registered client, or DCR), signs the user in with the
// authorization code flow and PKCE through the system browser and a
// loopback listener, and keeps the tokens in a 0600 file, refreshing them
// when needed. `mcpgate login`, `token`, `logout` and `connect` are built
// on it; package bridge is the stdio ↔ streamable HTTP half of connect.
package client
