package cimd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func publicJWKS(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	return string(b)
}

// TestKeySet: a private_key_jwt client's keys come from its document,
// inline or from a jwks_uri on the document's own host; only public
// signing keys count.
func TestKeySet(t *testing.T) {
	jwks := publicJWKS(t)
	symmetric := `{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}]}`
	keyDoc := func(keys string) string {
		return docWith(`"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks":` + keys)
	}
	tests := []struct {
		name     string
		doc      func(r *http.Request) string
		jwks     string // served at /jwks.json
		wantKeys int
		wantErr  string
	}{
		{name: "inline", doc: func(*http.Request) string { return keyDoc(jwks) }, wantKeys: 1},
		{name: "jwks_uri on the same host", doc: func(r *http.Request) string {
			return docWith(`"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://` + r.Host + `/jwks.json"`)
		}, jwks: jwks, wantKeys: 1},
		{name: "jwks_uri on another host", doc: func(r *http.Request) string {
			return docWith(`"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://keys.example.net/jwks.json"`)
		}, wantErr: "on the document's own host"},
		{name: "both", doc: func(r *http.Request) string {
			return docWith(`"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://` + r.Host + `/jwks.json","jwks":` + jwks)
		}, wantErr: "both jwks and jwks_uri"},
		{name: "symmetric key only", doc: func(*http.Request) string { return keyDoc(symmetric) }, wantErr: "no public signing key"},
		{name: "not a key set", doc: func(*http.Request) string { return keyDoc(`"keys"`) }, wantErr: "not a JSON Web Key Set"},
		{name: "public client has none", doc: func(*http.Request) string {
			return docWith(`"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"none"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/jwks.json" {
					w.Header().Set("Content-Type", "application/jwk-set+json")
					w.Write([]byte(tt.jwks))
					return
				}
				serveJSON(w, r, tt.doc(r))
			})
			r := mustNew(t, testOptions(ts, newFakeClock()))
			keys, err := r.KeySet(context.Background(), ts.url("app.example.com", "/client.json"))
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrInvalidClient) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want ErrInvalidClient containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(keys.Keys) != tt.wantKeys {
				t.Fatalf("got %d keys, %v; want %d", len(keys.Keys), err, tt.wantKeys)
			}
		})
	}
}
