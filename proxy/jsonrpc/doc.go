// Package jsonrpc reads what the policy needs from the JSON-RPC messages
// an MCP client sends (method, id, and the tool, prompt or resource a
// request names) and rewrites the list results a backend sends back, as
// JSON or on an event stream.
//
// Reading is strict where a second reader could see something else: a
// message whose significant keys (id, method, params, name, uri) appear
// twice, or in another case (Go's encoding/json, which many backends
// use, matches keys ignoring case), is refused rather than guessed at.
package jsonrpc
