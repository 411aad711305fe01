package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mcpgate/mcpgate/proxy/accountapi"
)

// The account API of an mcpgate server: the signed-in user's connected
// clients and personal access tokens. mcpgate serves it only to tokens of
// clients its operator configured, so the sign-in must use one
// (`mcpgate login --client-id <the CLI's client>`).
type (
	ConnectedClient = accountapi.Client
	PersonalToken   = accountapi.Token
)

// ErrNotFirstParty is the account API refusing a token of a client the
// operator did not configure.
var ErrNotFirstParty = errors.New("client: the account API takes tokens of the clients configured on this server only: sign in with mcpgate login --client-id <that client>")

// ConnectedClients lists the user's connected clients at the mcpgate
// serving resource.
func (c *Client) ConnectedClients(ctx context.Context, resource string) ([]ConnectedClient, error) {
	var out struct {
		Clients []ConnectedClient `json:"clients"`
	}
	return out.Clients, c.account(ctx, resource, http.MethodGet, accountapi.Clients, nil, &out)
}

// PersonalTokens lists the user's personal access tokens.
func (c *Client) PersonalTokens(ctx context.Context, resource string) ([]PersonalToken, error) {
	var out struct {
		Tokens []PersonalToken `json:"tokens"`
	}
	return out.Tokens, c.account(ctx, resource, http.MethodGet, accountapi.Tokens, nil, &out)
}

// RevokeClient ends a connected client's access to the user's account.
func (c *Client) RevokeClient(ctx context.Context, resource, clientID string) error {
	return c.account(ctx, resource, http.MethodPost, accountapi.ClientRevoke, map[string]string{"client_id": clientID}, nil)
}

// RevokePersonalToken revokes one of the user's personal access tokens.
func (c *Client) RevokePersonalToken(ctx context.Context, resource, id string) error {
	return c.account(ctx, resource, http.MethodPost, accountapi.TokenRevoke, map[string]string{"id": id}, nil)
}

// account calls the account API of the server's issuer, refreshing the
// token once if it is refused.
func (c *Client) account(ctx context.Context, resource, method, path string, body any, out any) error {
	creds, err := c.Store.Get(resource)
	if err != nil {
		return err
	}
	if creds == nil {
		return ErrSignInNeeded
	}
	endpoint := strings.TrimSuffix(creds.Issuer, "/") + path
	for attempt := 0; ; attempt++ {
		auth, err := c.AuthorizationHeaders(ctx, resource, method, endpoint, attempt > 0)
		if err != nil {
			return err
		}
		var payload io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			payload = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, endpoint, payload)
		if err != nil {
			return fmt.Errorf("client: account API: %w", err)
		}
		for k, v := range auth {
			req.Header[k] = v
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return fmt.Errorf("client: account API: %w", err)
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0:
			continue
		case resp.StatusCode == http.StatusForbidden:
			return ErrNotFirstParty
		case resp.StatusCode == http.StatusNoContent:
			return nil
		case resp.StatusCode != http.StatusOK:
			var e struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			_ = json.Unmarshal(data, &e)
			if e.Description != "" {
				return fmt.Errorf("client: account API: %s (%s)", e.Description, e.Error)
			}
			return fmt.Errorf("client: account API: HTTP %d from %s", resp.StatusCode, endpoint)
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("client: account API: %s answered something else than JSON: %w", endpoint, err)
		}
		return nil
	}
}
