package authserver

import (
	"context"
	"errors"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// ClientCredentials is how a client presented itself at the token or
// revocation endpoint.
type ClientCredentials struct {
	ID     string
	Secret string
	// Method is oauth.AuthSecretBasic when the credentials came in the
	// Authorization header, oauth.AuthSecretPost when the secret came in the
	// body, oauth.AuthPrivateKeyJWT with a client assertion, oauth.AuthNone when only
	// client_id came.
	Method string
	// Assertion is the RFC 7523 client assertion (private_key_jwt).
	Assertion string
}

// errInvalidClient is deliberately vague: the answer must not tell an
// unknown client from a wrong secret. Clients re-register on it.
var errInvalidClient = &oauth.Error{Code: oauth.ErrInvalidClient, Description: "client authentication failed"}

// AuthenticateClient checks the client's credentials. Confidential clients
// may use either secret method (Claude.ai prefers basic even when it
// registered post); public clients send no secret.
func (s *Server) AuthenticateClient(ctx context.Context, cred ClientCredentials) (store.Client, error) {
	if cred.ID == "" {
		return store.Client{}, errInvalidClient
	}
	if a, ok := s.accounts[cred.ID]; ok {
		return s.authenticateAccount(ctx, a, cred)
	}
	client, _, err := s.lookupClient(ctx, cred.ID)
	if errors.Is(err, errUnknownClient) {
		return store.Client{}, errInvalidClient
	}
	if err != nil {
		return store.Client{}, internal("get client", err)
	}
	// A client that said it proves itself with a key must, and only such
	// a client may present an assertion.
	if keyed := client.TokenEndpointAuthMethod == oauth.AuthPrivateKeyJWT; keyed || cred.Method == oauth.AuthPrivateKeyJWT {
		if !keyed || cred.Method != oauth.AuthPrivateKeyJWT || s.cimd == nil {
			return store.Client{}, errInvalidClient
		}
		keys, err := s.cimd.KeySet(ctx, client.ID)
		if err != nil {
			return store.Client{}, errInvalidClient
		}
		if err := s.verifyAssertion(ctx, client.ID, keys, cred.Assertion); err != nil {
			return store.Client{}, err
		}
		return client, nil
	}
	if client.SecretHash == "" {
		if cred.Secret != "" {
			return store.Client{}, errInvalidClient
		}
		return client, nil
	}
	if cred.Method == oauth.AuthNone || !oauth.EqualHash(cred.Secret, client.SecretHash) {
		return store.Client{}, errInvalidClient
	}
	return client, nil
}
