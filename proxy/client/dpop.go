package client

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/proxy/dpop"
)

// dpopKey is the client's DPoP key for one server (RFC 9449): kept with
// the server's tokens, since a bound refresh token is good only with it.
type dpopKey struct {
	key *ecdsa.PrivateKey

	mu     sync.Mutex
	nonces map[string]string // origin → the last DPoP-Nonce it sent
}

func newDPoPKey() (*dpopKey, error) {
	k, err := dpop.NewKey()
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return &dpopKey{key: k}, nil
}

// encode is the key as the credentials file keeps it.
func (k *dpopKey) encode() (string, error) { return dpop.MarshalKey(k.key) }

func decodeDPoPKey(s string) (*dpopKey, error) {
	k, err := dpop.ParseKey(s)
	if err != nil {
		return nil, fmt.Errorf("client: the stored DPoP key: %w", err)
	}
	return &dpopKey{key: k}, nil
}

// proof is a DPoP proof for one request; token, when set, is the access
// token it is sent with (ath).
func (k *dpopKey) proof(method, target, token string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	return dpop.NewProof(k.key, jose.ES256, method, target, token, k.nonce(u), time.Now())
}

func (k *dpopKey) nonce(u *url.URL) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.nonces[u.Scheme+"://"+u.Host]
}

// Remember keeps the nonce a server sent for its next proofs.
func (k *dpopKey) remember(u *url.URL, nonce string) {
	if nonce == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.nonces == nil {
		k.nonces = map[string]string{}
	}
	k.nonces[u.Scheme+"://"+u.Host] = nonce
}

// dpopTransport puts a proof on every POST to the authorization server
// (the token requests of the sign-in and of refreshes), and retries once
// with the nonce when the server answers use_dpop_nonce (RFC 9449 §8).
type dpopTransport struct {
	key  *dpopKey
	base http.RoundTripper
}

func (t dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	if r.Method != http.MethodPost {
		return base.RoundTrip(r)
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
	}
	for attempt := 0; ; attempt++ {
		proof, err := t.key.proof(r.Method, r.URL.String(), "")
		if err != nil {
			return nil, err
		}
		req := r.Clone(r.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("DPoP", proof)
		resp, err := base.RoundTrip(req)
		if err != nil || attempt > 0 || resp.StatusCode != http.StatusBadRequest || resp.Header.Get("DPoP-Nonce") == "" {
			if err == nil {
				t.key.remember(r.URL, resp.Header.Get("DPoP-Nonce"))
			}
			return resp, err
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil || e.Error != "use_dpop_nonce" {
			resp.Body = io.NopCloser(bytes.NewReader(data))
			return resp, nil
		}
		t.key.remember(r.URL, resp.Header.Get("DPoP-Nonce"))
	}
}

// dpopAlgorithms reads the DPoP algorithms an authorization server
// advertises, which the go-sdk's metadata type leaves out, from the
// RFC 8414 and OpenID discovery URLs of issuer.
func (c *Client) dpopAlgorithms(ctx context.Context, issuer string) []string {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil
	}
	path := strings.TrimSuffix(u.Path, "/")
	root := u.Scheme + "://" + u.Host
	for _, m := range []string{root + "/.well-known/oauth-authorization-server" + path, root + "/.well-known/openid-configuration" + path,
		strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m, nil)
		if err != nil {
			continue
		}
		resp, err := c.httpClient().Do(req)
		if err != nil {
			continue
		}
		var md struct {
			Issuer string   `json:"issuer"`
			Algs   []string `json:"dpop_signing_alg_values_supported"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&md)
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK && md.Issuer == issuer {
			return md.Algs
		}
	}
	return nil
}

// supportsES256: the key mcpgate makes is P-256.
func supportsES256(algs []string) bool { return slices.Contains(algs, "ES256") }
