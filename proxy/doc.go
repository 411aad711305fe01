// Package proxy is mcpgate's HTTP layer: the echo server that serves the
// discovery documents, the OAuth endpoints, the browser pages of the sign-in
// and the protected MCP endpoint. Handlers translate HTTP to calls of the
// authserver package and back; cookies, pages and error rendering live here
// and nowhere else.
package proxy
