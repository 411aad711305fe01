// Package demo runs mcpgate end to end on one machine with no
// configuration and no network: the development identity provider
// (anyone can sign in as anyone), a small MCP backend, and mcpgate between
// them. It is for trying mcpgate and for tests; `mcpgate serve` never
// enables any of it.
package demo
