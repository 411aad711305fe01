// Package oauth holds the OAuth 2.1 protocol pieces mcpgate's authorization
// server shares: the error codes and error type, PKCE, the random secrets it
// hands out and the hashes it stores instead, and scope handling. It knows
// nothing of HTTP frameworks.
package oauth
