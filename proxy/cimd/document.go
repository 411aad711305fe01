package cimd

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/mcpgate/mcpgate/proxy/clientreg"
)

// SourceCIMD marks clients resolved from a metadata document in
// store.Client.Source.
const SourceCIMD = "cimd"

// registration is the policy a document is held to: CIMD clients are public
// here. The draft forbids the shared-secret methods (no secret can be
// shared), and mcpgate does not verify private_key_jwt.
var registration = clientreg.Options{SupportedAuthMethods: []string{clientreg.AuthMethodNone}}

// document is a Client ID Metadata Document: RFC 7591 client metadata plus
// the members CIMD adds (client_id) or forbids (the secret ones). The
// forbidden ones are raw so that their mere presence is seen, whatever
// their value.
type document struct {
	clientreg.Metadata
	ClientID              string          `json:"client_id"`
	ClientSecret          json.RawMessage `json:"client_secret"`
	ClientSecretExpiresAt json.RawMessage `json:"client_secret_expires_at"`
}

// parseDocument decodes and validates the document fetched for clientID.
// Its errors describe the problem without quoting the body; at most one
// member's value, cut short, appears.
func parseDocument(clientID string, body []byte) (clientreg.Metadata, *Error) {
	// null, an array or a string would decode without error into the zero
	// document.
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return clientreg.Metadata{}, invalidClient(clientID, "the document is not a JSON object")
	}
	var d document
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return clientreg.Metadata{}, invalidClient(clientID, "the document's %s is a JSON %s of the wrong type", te.Field, te.Value)
		}
		return clientreg.Metadata{}, invalidClient(clientID, "the document is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return clientreg.Metadata{}, invalidClient(clientID, "the document has data after the JSON object")
	}
	// Simple string comparison, as the draft requires: the URL that was
	// fetched is the identity, and the document must claim exactly it.
	if d.ClientID != clientID {
		return clientreg.Metadata{}, invalidClient(clientID, "the document's client_id %s is not the URL it was fetched from", quoteTrunc(d.ClientID))
	}
	if d.ClientSecret != nil || d.ClientSecretExpiresAt != nil {
		return clientreg.Metadata{}, invalidClient(clientID, "the document must not contain client_secret or client_secret_expires_at")
	}
	m := d.Metadata
	// RFC 7591's default is client_secret_basic, which a document cannot
	// use; absent means none here.
	if m.TokenEndpointAuthMethod == "" {
		m.TokenEndpointAuthMethod = clientreg.AuthMethodNone
	}
	m, rerr := clientreg.ValidateMetadata(m, registration)
	if rerr != nil {
		return clientreg.Metadata{}, invalidClient(clientID, "the document is not valid client metadata: %s", rerr.Error())
	}
	return m, nil
}
