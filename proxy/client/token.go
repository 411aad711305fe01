package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// ErrSignInNeeded is returned when there is no usable grant for a server:
// never signed in, signed out, or the refresh token refused.
var ErrSignInNeeded = errors.New("client: sign in first (mcpgate login)")

// expiryMargin: a token this close to its expiry is refreshed first, so
// that it does not expire on the way.
const expiryMargin = time.Minute

// Token returns a valid access token for the MCP server at resource,
// refreshing it if it is about to expire. force refreshes even a token
// that looks valid (the server refused it).
func (c *Client) Token(ctx context.Context, resource string, force bool) (string, error) {
	cr, err := c.credentials(ctx, resource, force)
	if err != nil {
		return "", err
	}
	return cr.AccessToken, nil
}

// credentials is Token's record: the valid token with its type and key,
// read (and if need be refreshed) once.
func (c *Client) credentials(ctx context.Context, resource string, force bool) (*Credentials, error) {
	cur, err := c.Store.Get(resource)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, ErrSignInNeeded
	}
	if !force && cur.valid(c.now()) {
		return cur, nil
	}
	var out *Credentials
	err = c.Store.Update(resource, func(stored *Credentials) (*Credentials, error) {
		if stored == nil {
			return nil, ErrSignInNeeded
		}
		// Another process may have refreshed while this one waited for
		// the lock: its token is as good, and the refresh token it was
		// given is the only one still valid.
		if stored.valid(c.now()) && (!force || stored.AccessToken != cur.AccessToken) {
			kept := *stored
			out = &kept
			return stored, nil
		}
		if stored.RefreshToken == "" {
			return nil, ErrSignInNeeded
		}
		t, err := c.refresh(ctx, stored)
		if err != nil {
			var re *oauth2.RetrieveError
			if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_client") {
				// The grant is gone; so are its tokens.
				return nil, fmt.Errorf("%w: the server refused the refresh token (%s)", ErrSignInNeeded, re.ErrorCode)
			}
			return nil, fmt.Errorf("client: refresh the token for %s: %w", resource, err)
		}
		stored.setToken(t)
		kept := *stored
		out = &kept
		return stored, nil
	})
	if errors.Is(err, ErrSignInNeeded) {
		// Update keeps the file as it was on error; a refused grant is
		// forgotten so that the next call signs in instead of retrying.
		_ = c.Store.Update(resource, func(stored *Credentials) (*Credentials, error) {
			if stored == nil || stored.RefreshToken != cur.RefreshToken && stored.valid(c.now()) {
				return stored, nil // someone signed in meanwhile
			}
			stored.AccessToken, stored.RefreshToken, stored.Expiry = "", "", time.Time{}
			return stored, nil
		})
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (cr *Credentials) valid(now time.Time) bool {
	return cr.AccessToken != "" && (cr.Expiry.IsZero() || now.Add(expiryMargin).Before(cr.Expiry))
}

func (cr *Credentials) oauthConfig() *oauth2.Config {
	style := oauth2.AuthStyleInParams
	if cr.ClientSecret != "" {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, Scopes: cr.Scopes,
		Endpoint: oauth2.Endpoint{TokenURL: cr.TokenEndpoint, AuthStyle: style}}
}

// refresh redeems the stored refresh token once, with the resource the
// grant is for (RFC 8707 §2.2).
func (c *Client) refresh(ctx context.Context, cr *Credentials) (*oauth2.Token, error) {
	var rt http.RoundTripper = resourceParam{base: c.httpClient().Transport, resource: cr.Resource}
	if cr.DPoPKey != "" {
		// A bound refresh token needs a proof by its key.
		key, err := decodeDPoPKey(cr.DPoPKey)
		if err != nil {
			return nil, err
		}
		rt = dpopTransport{key: key, base: rt}
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: c.httpClient().Timeout, Transport: rt})
	return cr.oauthConfig().TokenSource(ctx, &oauth2.Token{RefreshToken: cr.RefreshToken}).Token()
}

// resourceParam adds resource to the refresh request, which x/oauth2
// cannot: the authorization server then keeps the token's audience.
type resourceParam struct {
	base     http.RoundTripper
	resource string
}

func (rp resourceParam) RoundTrip(r *http.Request) (*http.Response, error) {
	base := rp.base
	if base == nil {
		base = http.DefaultTransport
	}
	if r.Method != http.MethodPost || r.Body == nil || rp.resource == "" {
		return base.RoundTrip(r)
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	form := r.PostForm
	if form.Get("grant_type") == "refresh_token" && form.Get("resource") == "" {
		form.Set("resource", rp.resource)
	}
	body := form.Encode()
	r = r.Clone(r.Context())
	r.Body = readCloser{strings.NewReader(body)}
	r.ContentLength = int64(len(body))
	r.GetBody = nil
	return base.RoundTrip(r)
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// Logout revokes the server's refresh and access tokens at its
// revocation endpoint (RFC 7009), when it has one, and forgets them; the
// client registration is kept for the next sign-in. A revocation that
// fails is reported, but the tokens are forgotten all the same.
func (c *Client) Logout(ctx context.Context, resource string) error {
	var revokeErr error
	err := c.Store.Update(resource, func(cr *Credentials) (*Credentials, error) {
		if cr == nil {
			return nil, nil
		}
		if cr.RevocationEndpoint != "" {
			for _, t := range []struct{ token, hint string }{{cr.RefreshToken, "refresh_token"}, {cr.AccessToken, "access_token"}} {
				if t.token == "" {
					continue
				}
				if err := c.revoke(ctx, cr, t.token, t.hint); err != nil {
					revokeErr = errors.Join(revokeErr, err)
				}
			}
		}
		cr.AccessToken, cr.RefreshToken, cr.Expiry = "", "", time.Time{}
		return cr, nil
	})
	return errors.Join(err, revokeErr)
}

func (c *Client) revoke(ctx context.Context, cr *Credentials, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	if cr.ClientSecret == "" {
		form.Set("client_id", cr.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cr.RevocationEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("client: revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cr.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(cr.ClientID), url.QueryEscape(cr.ClientSecret))
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("client: revoke the %s: %w", strings.ReplaceAll(hint, "_", " "), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("client: revoke the %s: the server answered %d", strings.ReplaceAll(hint, "_", " "), resp.StatusCode)
	}
	return nil
}
