// Package e2e holds mcpgate's end-to-end tests: a real OpenID provider
// upstream, mcpgate wired exactly as `mcpgate serve` wires it, and real
// clients driving browsers and token requests over HTTP.
package e2e
