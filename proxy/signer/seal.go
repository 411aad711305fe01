package signer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// sealVersion prefixes sealed keys so that the format can change later and
// so that a sealed value is never mistaken for DER (which starts with 0x30).
const sealVersion = 0x01

// AESGCM returns Seal and Open functions that encrypt private keys at rest
// with AES-256-GCM under a key derived from secret by HKDF-SHA256. Every
// replica configured with the same secret reads what the others wrote.
func AESGCM(secret string) (seal, open func([]byte) ([]byte, error), err error) {
	return AESGCMFor(secret, "mcpgate signing key")
}

// AESGCMFor is AESGCM for another purpose: the key is derived anew and the
// ciphertext bound to purpose, so that a value sealed for one purpose
// never opens as another's.
func AESGCMFor(secret, purpose string) (seal, open func([]byte) ([]byte, error), err error) {
	if len(secret) < 32 {
		return nil, nil, errors.New("signer: encryption key must be at least 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, purpose+" encryption v1", 32)
	if err != nil {
		return nil, nil, fmt.Errorf("signer: derive encryption key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, fmt.Errorf("signer: encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, fmt.Errorf("signer: encryption key: %w", err)
	}
	// The additional data binds the ciphertext to its purpose.
	ad := []byte(purpose)
	seal = func(plain []byte) ([]byte, error) {
		out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plain)+aead.Overhead())
		out[0] = sealVersion
		rand.Read(out[1:])
		return aead.Seal(out, out[1:], plain, ad), nil
	}
	open = func(sealed []byte) ([]byte, error) {
		if len(sealed) < 1+aead.NonceSize()+aead.Overhead() || sealed[0] != sealVersion {
			return nil, errors.New("signer: stored key is not sealed by this build (wrong or missing encryption key?)")
		}
		nonce := sealed[1 : 1+aead.NonceSize()]
		plain, err := aead.Open(nil, nonce, sealed[1+aead.NonceSize():], ad)
		if err != nil {
			return nil, errors.New("signer: stored key does not open with the configured encryption key")
		}
		return plain, nil
	}
	return seal, open, nil
}
