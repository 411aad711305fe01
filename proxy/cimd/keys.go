package cimd

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/go-jose/go-jose/v4"
)

// maxJWKSBytes bounds a fetched key set: a few public keys.
const maxJWKSBytes = 64 << 10

// keySet returns the public signing keys a private_key_jwt client's
// document publishes, inline or at its jwks_uri (on the document's host,
// fetched with the same defences as the document).
func (r *Resolver) keySet(ctx context.Context, clientID, jwksURI string, inline json.RawMessage) (jose.JSONWebKeySet, *Error) {
	raw := []byte(inline)
	if jwksURI != "" {
		var e *Error
		if raw, e = r.fetchKeys(ctx, clientID, jwksURI); e != nil {
			return jose.JSONWebKeySet{}, e
		}
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return jose.JSONWebKeySet{}, invalidClient(clientID, "the client's key set is not a JSON Web Key Set")
	}
	var public jose.JSONWebKeySet
	for _, k := range set.Keys {
		// Public asymmetric signing keys only: a symmetric or private key
		// in a published set is a mistake nobody should build on.
		if k.Valid() && k.IsPublic() && (k.Use == "" || k.Use == "sig") {
			if _, symmetric := k.Key.([]byte); !symmetric {
				public.Keys = append(public.Keys, k)
			}
		}
	}
	if len(public.Keys) == 0 {
		return jose.JSONWebKeySet{}, invalidClient(clientID, "the client's key set has no public signing key")
	}
	return public, nil
}

func (r *Resolver) fetchKeys(ctx context.Context, clientID, jwksURI string) ([]byte, *Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURI, nil)
	if err != nil {
		return nil, invalidClient(clientID, "cannot build a request for its jwks_uri")
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	req.Header.Set("User-Agent", "mcpgate-cimd/1")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, r.requestError(ctx, clientID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fetchFailed(clientID, nil, "its jwks_uri answered HTTP %d, want 200", resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || (mt != "application/json" && mt != "application/jwk-set+json") {
		return nil, fetchFailed(clientID, nil, "its jwks_uri served %s, want application/json", quoteTrunc(resp.Header.Get("Content-Type")))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, r.requestError(ctx, clientID, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fetchFailed(clientID, nil, "its key set is larger than %d bytes", maxJWKSBytes)
	}
	return body, nil
}
