// Package forward carries authorized MCP requests to the backend: streamable
// HTTP POSTs, GET SSE streams and DELETEs, unbuffered, with every MCP header
// unchanged. It strips what the client must not pass through (its token,
// identity headers it made up) and attaches the identity mcpgate vouches
// for. It knows nothing of tokens or HTTP frameworks: the caller has
// already decided who the user is.
package forward
