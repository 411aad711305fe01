package config

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/go-jose/go-jose/v4"
)

// SecretHashPrefix starts every secret_hash: the hash function, so that
// another can be added later without ambiguity.
const SecretHashPrefix = "sha256:"

// Client is an OAuth client registered in the configuration.
type Client struct {
	// ID is the client_id: letters, digits and ._~:- (at most 200), not an
	// https URL (those are Client ID Metadata Document ids), unique among
	// clients and service accounts.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Secret (or secret_file) makes the client confidential; with neither
	// it nor SecretHash the client is public (token_endpoint_auth_method
	// none).
	Secret string `yaml:"secret" secret:"true"`
	// SecretHash is an alternative to Secret that keeps the clear secret
	// out of the configuration: "sha256:" followed by the unpadded
	// base64url SHA-256 of the secret (see HashSecret).
	SecretHash   string   `yaml:"secret_hash"`
	RedirectURIs []string `yaml:"redirect_uris"`
	// Scopes the client may be granted, from mcp.scopes plus
	// offline_access; empty allows all of them.
	Scopes []string `yaml:"scopes"`
	// Trusted clients (first-party tools) get implicit consent.
	Trusted bool `yaml:"trusted"`
}

// ServiceAccount is a machine client using the client_credentials grant.
// It authenticates with a secret (client_secret_basic or
// client_secret_post), with a JWT signed by a key of its JWKS
// (private_key_jwt, RFC 7523), or with either.
type ServiceAccount struct {
	// ID is the client_id and the sub of the tokens issued to it; the
	// rules of Client.ID apply.
	ID         string `yaml:"id"`
	Name       string `yaml:"name"`
	Secret     string `yaml:"secret" secret:"true"`
	SecretHash string `yaml:"secret_hash"`
	// JWKS is the JSON Web Key Set text holding the account's public
	// keys; JWKSFile names a file holding it instead (read by KeySet, so
	// by Validate and by its user, not by Load).
	JWKS     string   `yaml:"jwks"`
	JWKSFile string   `yaml:"jwks_file"`
	Groups   []string `yaml:"groups"`
	// Scopes the account may be granted, from mcp.scopes; empty allows all
	// of them.
	Scopes []string `yaml:"scopes"`
	Email  string   `yaml:"email"`
}

// HashSecret returns secret in the secret_hash form: "sha256:" and the
// unpadded base64url SHA-256 of the secret. The store keeps the part after
// the prefix.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return SecretHashPrefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// Confidential reports whether the client has a secret (or its hash).
func (c Client) Confidential() bool { return c.Secret != "" || c.SecretHash != "" }

// SecretHashValue is the client's secret in the secret_hash form: SecretHash
// as configured, or the hash of Secret, or "" for a public client.
func (c Client) SecretHashValue() string { return secretHashValue(c.Secret, c.SecretHash) }

// SecretHashValue is the account's secret in the secret_hash form, or ""
// when it authenticates only with private_key_jwt.
func (a ServiceAccount) SecretHashValue() string { return secretHashValue(a.Secret, a.SecretHash) }

func secretHashValue(secret, hash string) string {
	switch {
	case hash != "":
		return hash
	case secret != "":
		return HashSecret(secret)
	}
	return ""
}

// KeySet returns the account's public keys for private_key_jwt, read from
// JWKS or from the file JWKSFile names; an empty set when it has neither.
// A set that holds a private or symmetric key, a key go-jose cannot read,
// or no public key usable for signatures is an error.
func (a ServiceAccount) KeySet() (jose.JSONWebKeySet, error) {
	text := a.JWKS
	if a.JWKSFile != "" {
		if a.JWKS != "" {
			return jose.JSONWebKeySet{}, errors.New("set either jwks or jwks_file, not both")
		}
		b, err := os.ReadFile(a.JWKSFile)
		if err != nil {
			return jose.JSONWebKeySet{}, err
		}
		text = string(b)
	}
	if text == "" {
		return jose.JSONWebKeySet{}, nil
	}
	return parseKeySet([]byte(text))
}

// parseKeySet parses keys one by one, so that an error names the key.
func parseKeySet(data []byte) (jose.JSONWebKeySet, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil || raw.Keys == nil {
		return jose.JSONWebKeySet{}, errors.New(`not a JSON Web Key Set: want {"keys": [...]}`)
	}
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, len(raw.Keys))}
	usable := false
	for i, r := range raw.Keys {
		k := &set.Keys[i]
		if err := k.UnmarshalJSON(r); err != nil {
			return jose.JSONWebKeySet{}, fmt.Errorf("key %d: %v", i, err)
		}
		if !k.IsPublic() {
			// Checked before anything else is said about the key: a private
			// key in configuration is a leak to fix at once.
			return jose.JSONWebKeySet{}, fmt.Errorf("jwks must hold public keys only (key %d, kid %q, is private or symmetric)", i, k.KeyID)
		}
		if k.Valid() && (k.Use == "" || k.Use == "sig") && (k.Algorithm == "" || signatureAlgorithm(k.Algorithm)) {
			usable = true
		}
	}
	if !usable {
		return jose.JSONWebKeySet{}, errors.New(`holds no public key usable for signatures (want use "sig" or no use, and a signature alg or none)`)
	}
	return set, nil
}

// signatureAlgorithm reports whether alg is a JWS algorithm for asymmetric
// keys (RFC 7518 §3.1, RFC 8037).
func signatureAlgorithm(alg string) bool {
	switch jose.SignatureAlgorithm(alg) {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA:
		return true
	}
	return false
}
