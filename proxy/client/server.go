package client

import (
	"context"
	"errors"
	"net/http"
)

// ServerAuth is a Client's view of one MCP server, as `mcpgate connect`
// uses it: a token when asked (signing in when there is no grant), and a
// new sign-in when the server asks for one.
type ServerAuth struct {
	Client   *Client
	Resource string
}

// Token returns a valid access token, refreshed if needed, or "" when
// there is no grant: the request then goes without one, and a server that
// wants a sign-in says so with its 401, which Authorize answers. A server
// that asks for none is never signed in to.
func (s ServerAuth) Token(ctx context.Context, force bool) (string, error) {
	tok, err := s.Client.Token(ctx, s.Resource, force)
	if errors.Is(err, ErrSignInNeeded) {
		return "", nil
	}
	return tok, err
}

// Authorize signs in in answer to the server's challenge.
func (s ServerAuth) Authorize(ctx context.Context, req *http.Request, resp *http.Response) error {
	_, err := s.Client.Authorize(ctx, req, resp)
	return err
}
