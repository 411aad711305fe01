package clientreg

import (
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// Response is the successful registration response of RFC 7591 §3.2.1:
// the client's credentials and every metadata value mcpgate registered,
// which may differ from what was requested (defaults, de-duplication).
type Response struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	// ClientIDIssuedAt is seconds since the Unix epoch.
	ClientIDIssuedAt int64 `json:"client_id_issued_at"`
	// ClientSecretExpiresAt is required when a secret is issued, where 0
	// means it never expires, and absent otherwise; hence the pointer.
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`

	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ApplicationType         string   `json:"application_type,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
}

// ResponseJSON builds the registration response for the stored client c.
// secret is the clear client secret, empty for public clients; it exists
// only here, the store keeping its hash.
func ResponseJSON(c store.Client, secret string, issuedAt time.Time) Response {
	r := Response{
		ClientID:                c.ID,
		ClientSecret:            secret,
		ClientIDIssuedAt:        issuedAt.Unix(),
		RedirectURIs:            c.RedirectURIs,
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		GrantTypes:              c.GrantTypes,
		ResponseTypes:           c.ResponseTypes,
		ApplicationType:         c.ApplicationType,
		ClientName:              c.Name,
		ClientURI:               c.ClientURI,
		LogoURI:                 c.LogoURI,
		Scope:                   c.Scope,
	}
	if r.RedirectURIs == nil {
		r.RedirectURIs = []string{}
	}
	if secret != "" {
		// The secret cannot outlive its client, so a client that expires
		// reports that time rather than "never".
		var exp int64
		if !c.ExpiresAt.IsZero() {
			exp = c.ExpiresAt.Unix()
		}
		r.ClientSecretExpiresAt = &exp
	}
	return r
}
