package dpop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
)

// NewKey makes a client's proof key: ECDSA P-256, for ES256.
func NewKey() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dpop: make a key: %w", err)
	}
	return k, nil
}

// MarshalKey is a proof key as text (base64 PKCS #8), to keep or pass on.
func MarshalKey(k *ecdsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", fmt.Errorf("dpop: encode the key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// ParseKey reads what MarshalKey wrote.
func ParseKey(s string) (*ecdsa.PrivateKey, error) {
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("dpop: the key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("dpop: the key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("dpop: the key is not an ECDSA key")
	}
	return ec, nil
}
