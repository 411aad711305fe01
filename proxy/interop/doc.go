// Package interop holds mcpgate's interoperability tests: clients that
// nobody here wrote (the TypeScript and Go MCP SDKs, mcp-remote, MCP
// Inspector, the MCP conformance suites) sign in through a real mcpgate
// binary, in front of a certified OpenID provider (oidc-provider) upstream
// and the go-sdk conformance server as the MCP backend.
//
// Everything runs as subprocesses on 127.0.0.1. The npm packages live in
// node/ and are installed by `npm ci --prefix proxy/interop/node` (test.sh
// does it); without them the tests skip locally and fail when CI is set.
package interop
