package dpop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzProof: whatever a client sends as a DPoP header, Verify answers
// without panicking, and accepts nothing that go-jose, given the same
// bytes with an empty cache, would refuse.
func FuzzProof(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	e := Expect{Method: "POST", URL: "https://mcp.example.com/mcp", AccessToken: "tok"}
	good, _ := NewProof(key, jose.ES256, "POST", e.URL, "tok", "", now)
	f.Add(good)
	f.Add(good + "x")
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiZHBvcCtqd3QifQ.e30.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, proof string) {
		_, cached := Verify(proof, e, now)
		saved := headers.m
		headers.mu.Lock()
		headers.m = nil
		headers.mu.Unlock()
		_, fresh := Verify(proof, e, now)
		headers.mu.Lock()
		headers.m = saved
		headers.mu.Unlock()
		if cached == nil && fresh != nil {
			t.Fatalf("accepted with the cache, refused without: %v", fresh)
		}
	})
}
