package signer

import (
	"bytes"
	"encoding/asn1"
	"math/big"
	"testing"
)

func TestSignatureEncodings(t *testing.T) {
	n := []byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x50} // P-256 order - 1
	pad := func(b ...byte) []byte { return append(make([]byte, 32-len(b)), b...) }
	tests := []struct {
		name string
		r, s []byte
	}{
		{"small values", pad(1), pad(2)},
		{"top bit set needs a sign byte", pad(0x80), n},
		{"leading zero bytes", pad(0x00, 0x01, 0x02), pad(0x7f)},
		{"largest", n, n},
		{"r has a leading zero byte, s full", append([]byte{0}, n[1:]...), n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw [sigLen]byte
			copy(raw[:32], tt.r)
			copy(raw[32:], tt.s)

			want, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(tt.r), new(big.Int).SetBytes(tt.s)})
			if err != nil {
				t.Fatal(err)
			}
			var buf [2 + 2*(2+1+sigLen/2)]byte
			if got := rawToASN1(&buf, &raw); !bytes.Equal(got, want) {
				t.Errorf("rawToASN1: got %x, want %x", got, want)
			}
			var back [sigLen]byte
			if !asn1ToRaw(&back, want) {
				t.Fatalf("asn1ToRaw: got failure, want success")
			}
			if back != raw {
				t.Errorf("asn1ToRaw: got %x, want %x", back, raw)
			}
		})
	}

	bad := []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"not a sequence", []byte{0x31, 0x00}},
		{"length mismatch", []byte{0x30, 0x05, 0x02, 0x01, 0x01}},
		{"one integer", []byte{0x30, 0x03, 0x02, 0x01, 0x01}},
		{"integer too long", append([]byte{0x30, 0x25, 0x02, 0x21, 0x01}, append(make([]byte, 32), 0x02, 0x01, 0x01)...)},
		{"trailing bytes", []byte{0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00}},
	}
	for _, tt := range bad {
		t.Run("reject "+tt.name, func(t *testing.T) {
			var out [sigLen]byte
			if asn1ToRaw(&out, tt.der) {
				t.Errorf("asn1ToRaw(%x): got success, want failure", tt.der)
			}
		})
	}
}
