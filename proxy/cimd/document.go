package cimd

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"

	"github.com/mcpgate/mcpgate/proxy/clientreg"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// registration is the policy a document is held to. The draft forbids the
// shared-secret methods (no secret can be shared); a client is public, or
// proves itself with private_key_jwt against keys its document publishes
// (ChatGPT's does).
var registration = clientreg.Options{SupportedAuthMethods: []string{oauth.AuthNone, oauth.AuthPrivateKeyJWT}}

// document is a Client ID Metadata Document: RFC 7591 client metadata plus
// the members CIMD adds (client_id) or forbids (the secret ones). The
// forbidden ones are raw so that their mere presence is seen, whatever
// their value.
type document struct {
	clientreg.Metadata
	ClientID              string          `json:"client_id"`
	JWKS                  json.RawMessage `json:"jwks"`
	ClientSecret          json.RawMessage `json:"client_secret"`
	ClientSecretExpiresAt json.RawMessage `json:"client_secret_expires_at"`
}

// parseDocument decodes and validates the document fetched for clientID.
// Its errors describe the problem without quoting the body; at most one
// member's value, cut short, appears.
func parseDocument(clientID string, body []byte) (clientreg.Metadata, json.RawMessage, *Error) {
	// null, an array or a string would decode without error into the zero
	// document.
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return clientreg.Metadata{}, nil, invalidClient(clientID, "the document is not a JSON object")
	}
	var d document
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return clientreg.Metadata{}, nil, invalidClient(clientID, "the document's %s is a JSON %s of the wrong type", te.Field, te.Value)
		}
		return clientreg.Metadata{}, nil, invalidClient(clientID, "the document is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return clientreg.Metadata{}, nil, invalidClient(clientID, "the document has data after the JSON object")
	}
	// Simple string comparison, as the draft requires: the URL that was
	// fetched is the identity, and the document must claim exactly it.
	if d.ClientID != clientID {
		return clientreg.Metadata{}, nil, invalidClient(clientID, "the document's client_id %s is not the URL it was fetched from", quoteTrunc(d.ClientID))
	}
	if d.ClientSecret != nil || d.ClientSecretExpiresAt != nil {
		return clientreg.Metadata{}, nil, invalidClient(clientID, "the document must not contain client_secret or client_secret_expires_at")
	}
	m := d.Metadata
	// RFC 7591's default is client_secret_basic, which a document cannot
	// use; absent means none here.
	if m.TokenEndpointAuthMethod == "" {
		m.TokenEndpointAuthMethod = oauth.AuthNone
	}
	m, rerr := clientreg.ValidateMetadata(m, registration)
	if rerr != nil {
		return clientreg.Metadata{}, nil, invalidClient(clientID, "the document is not valid client metadata: %s", rerr.Error())
	}
	if m.TokenEndpointAuthMethod != oauth.AuthPrivateKeyJWT {
		return m, nil, nil
	}
	if e := checkKeySource(clientID, m.JWKSURI, d.JWKS); e != nil {
		return clientreg.Metadata{}, nil, e
	}
	return m, d.JWKS, nil
}

// checkKeySource requires a private_key_jwt client to publish its keys
// exactly one way, and a jwks_uri on the document's own host: the host
// that vouches for the client vouches for its keys, and mcpgate fetches
// nothing from elsewhere on a document's say-so.
func checkKeySource(clientID, jwksURI string, jwks json.RawMessage) *Error {
	switch {
	case jwksURI != "" && jwks != nil:
		return invalidClient(clientID, "the document has both jwks and jwks_uri")
	case jwksURI == "" && jwks == nil:
		return invalidClient(clientID, "private_key_jwt needs jwks or jwks_uri in the document")
	case jwksURI == "":
		return nil
	}
	docHost, _ := parseClientID(clientID)
	u, err := url.Parse(jwksURI)
	if err != nil || u.Scheme != "https" || canonicalHost(u.Hostname()) != docHost || u.Port() != portOf(clientID) {
		return invalidClient(clientID, "jwks_uri must be an https URL on the document's own host")
	}
	return nil
}

func portOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Port()
}
