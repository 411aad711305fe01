// Package accountapi is the wire form of mcpgate's account API, shared by
// the server (proxy) and the client (proxy/client): the paths and the
// JSON of a connected client and of a personal access token.
package accountapi

import "time"

// The paths, under the issuer.
const (
	Prefix       = "/account/api"
	Clients      = Prefix + "/clients"
	ClientRevoke = Prefix + "/clients/revoke" // {"client_id": ...}
	Tokens       = Prefix + "/tokens"
	TokenRevoke  = Prefix + "/tokens/revoke" // {"id": ...}
)

// Client is a client holding access to the user's account.
type Client struct {
	ClientID   string    `json:"client_id"`
	Name       string    `json:"name"`
	Provenance string    `json:"provenance"`
	FirstUsed  time.Time `json:"first_used"`
	LastUsed   time.Time `json:"last_used"`
	Scopes     []string  `json:"scopes"`
	Resources  []string  `json:"resources"`
}

// Token is one of the user's personal access tokens (never the token
// itself).
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Scopes    []string   `json:"scopes"`
	Resources []string   `json:"resources"`
}
