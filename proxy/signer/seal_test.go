package signer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/signer"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
)

func TestAESGCM(t *testing.T) {
	seal, open, err := signer.AESGCM(strings.Repeat("a", 32))
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("0\x82private key DER")
	sealed, _ := seal(plain)
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := open(sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open(seal(x)): got %q, %v", got, err)
	}
	_, otherOpen, _ := signer.AESGCM(strings.Repeat("b", 32))
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, c := range map[string]struct {
		open func([]byte) ([]byte, error)
		in   []byte
	}{
		"other key": {otherOpen, sealed},
		"tampered":  {open, tampered},
		"plain DER": {open, plain},
		"empty":     {open, nil},
	} {
		if _, err := c.open(c.in); err == nil {
			t.Errorf("%s: opened, want an error", name)
		}
	}
	if _, _, err := signer.AESGCM("short"); err == nil {
		t.Error("a short secret was accepted")
	}
}

// TestSealedKeysAtRest: with an encryption key the store holds no usable
// private key, replicas with the same key share it, and a replica with the
// wrong key refuses to start rather than fork the key set.
func TestSealedKeysAtRest(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	opts := func(secret string) signer.Options {
		seal, open, err := signer.AESGCM(secret)
		if err != nil {
			t.Fatal(err)
		}
		return signer.Options{TokenLifetime: time.Hour, Seal: seal, Open: open}
	}
	right := strings.Repeat("r", 32)
	first, err := signer.New(ctx, st, opts(right))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := st.ListSigningKeys(ctx)
	if len(keys) != 1 || keys[0].PrivateKey[0] == 0x30 {
		t.Fatalf("stored private key looks like plain DER")
	}
	tok, err := first.Sign(ctx, "at+jwt", map[string]any{"sub": "x"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := signer.New(ctx, st, opts(right))
	if err != nil {
		t.Fatalf("replica with the same key: %v", err)
	}
	if _, err := second.Verify(tok, "at+jwt"); err != nil {
		t.Errorf("replica cannot verify the first's token: %v", err)
	}
	if _, err := signer.New(ctx, st, opts(strings.Repeat("w", 32))); err == nil {
		t.Error("a replica with the wrong encryption key started")
	}
}
