package dpop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// makeProof signs claims with key, its public half in the header.
func makeProof(t *testing.T, key *ecdsa.PrivateKey, typ string, embed any, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	if embed != nil {
		opts = opts.WithHeader("jwk", embed)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := jose.JSONWebKey{Key: &key.PublicKey}
	private := jose.JSONWebKey{Key: key}
	const token = "the-access-token"
	sum := sha256.Sum256([]byte(token))
	ath := base64.RawURLEncoding.EncodeToString(sum[:])
	base := func(change func(map[string]any)) map[string]any {
		c := map[string]any{"jti": "j1", "htm": "POST", "htu": "https://mcp.example.com/mcp", "iat": now.Unix(), "ath": ath}
		if change != nil {
			change(c)
		}
		return c
	}
	nonces := NewNonces([]byte("secret"), time.Minute)
	expect := Expect{Method: "POST", URL: "https://mcp.example.com/mcp", AccessToken: token}
	tests := []struct {
		name    string
		proof   string
		expect  Expect
		wantErr error
	}{
		{name: "good", proof: makeProof(t, key, "dpop+jwt", pub, base(nil)), expect: expect},
		{name: "htu with default port, another case, a query", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { c["htu"] = "HTTPS://MCP.example.com:443/mcp?x=1" })), expect: expect},
		{name: "typ JWT", proof: makeProof(t, key, "JWT", pub, base(nil)), expect: expect, wantErr: ErrInvalid},
		{name: "no jwk", proof: makeProof(t, key, "dpop+jwt", nil, base(nil)), expect: expect, wantErr: ErrInvalid},
		{name: "private key in the header", proof: makeProof(t, key, "dpop+jwt", private, base(nil)), expect: expect, wantErr: ErrInvalid},
		{name: "another method", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { c["htm"] = "GET" })), expect: expect, wantErr: ErrInvalid},
		{name: "another URL", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { c["htu"] = "https://mcp.example.com/other" })), expect: expect, wantErr: ErrInvalid},
		{name: "another host", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { c["htu"] = "https://evil.example.com/mcp" })), expect: expect, wantErr: ErrInvalid},
		{name: "old", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { c["iat"] = now.Add(-6 * time.Minute).Unix() })), expect: expect, wantErr: ErrInvalid},
		{name: "ahead", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { c["iat"] = now.Add(2 * time.Minute).Unix() })), expect: expect, wantErr: ErrInvalid},
		{name: "no iat", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { delete(c, "iat") })), expect: expect, wantErr: ErrInvalid},
		{name: "no jti", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { delete(c, "jti") })), expect: expect, wantErr: ErrInvalid},
		{name: "ath of another token", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { c["ath"] = "x" })), expect: expect, wantErr: ErrInvalid},
		{name: "no ath at a resource", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { delete(c, "ath") })), expect: expect, wantErr: ErrInvalid},
		{name: "nonce required, none", proof: makeProof(t, key, "dpop+jwt", pub, base(nil)),
			expect: Expect{Method: "POST", URL: expect.URL, AccessToken: token, Nonce: func(n string) bool { return nonces.Valid(n, now) }}, wantErr: ErrUseNonce},
		{name: "nonce required, the current one", proof: makeProof(t, key, "dpop+jwt", pub, base(func(c map[string]any) { c["nonce"] = nonces.Current(now) })),
			expect: Expect{Method: "POST", URL: expect.URL, AccessToken: token, Nonce: func(n string) bool { return nonces.Valid(n, now) }}},
		{name: "alg none", proof: "eyJhbGciOiJub25lIiwidHlwIjoiZHBvcCtqd3QifQ.e30.", expect: expect, wantErr: ErrInvalid},
		{name: "not a JWS", proof: "hello", expect: expect, wantErr: ErrInvalid},
		{name: "huge", proof: strings.Repeat("a", 9<<10), expect: expect, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Verify(tt.proof, tt.expect, now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Thumbprint(&pub)
			if p.JKT != want || p.JTI != "j1" {
				t.Errorf("proof %+v, want jkt %s", p, want)
			}
		})
	}
	t.Run("signed by another key than the embedded one", func(t *testing.T) {
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if _, err := Verify(makeProof(t, other, "dpop+jwt", pub, base(nil)), expect, now); !errors.Is(err, ErrInvalid) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestNonces(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	n := NewNonces([]byte("secret"), time.Minute)
	cur := n.Current(now)
	cases := []struct {
		name  string
		nonce string
		at    time.Time
		want  bool
	}{
		{name: "current", nonce: cur, at: now, want: true},
		{name: "the next window still takes it", nonce: cur, at: now.Add(time.Minute), want: true},
		{name: "two windows later it is stale", nonce: cur, at: now.Add(2 * time.Minute), want: false},
		{name: "another replica's secret", nonce: NewNonces([]byte("other"), time.Minute).Current(now), at: now, want: false},
		{name: "empty", nonce: "", at: now, want: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := n.Valid(c.nonce, c.at); got != c.want {
				t.Errorf("Valid = %v, want %v", got, c.want)
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	proof, err := NewProof(key, jose.ES256, "POST", "https://mcp.example.com/mcp", "tok", "", now)
	if err != nil {
		b.Fatal(err)
	}
	e := Expect{Method: "POST", URL: "https://mcp.example.com/mcp", AccessToken: "tok"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(proof, e, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkECDSAVerifyAlone(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("x"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	for b.Loop() {
		ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig)
	}
}

// TestCachedHeaderAgrees: once a header is cached, the fast path must
// refuse exactly what go-jose refuses: a payload or signature changed
// under the same header, a signature by another key under it.
func TestCachedHeaderAgrees(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	e := Expect{Method: "POST", URL: "https://mcp.example.com/mcp"}
	good, _ := NewProof(key, jose.ES256, "POST", e.URL, "", "", now)
	if _, err := Verify(good, e, now); err != nil { // warms the cache
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	byOther, _ := NewProof(other, jose.ES256, "POST", e.URL, "", "", now)
	otherParts := strings.Split(byOther, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)/2] == 'A' {
			b[len(b)/2] = 'B'
		} else {
			b[len(b)/2] = 'A'
		}
		return string(b)
	}
	cases := []struct {
		name, proof string
		ok          bool
	}{
		{name: "a second proof by the key", proof: func() string { p, _ := NewProof(key, jose.ES256, "POST", e.URL, "", "", now); return p }(), ok: true},
		{name: "payload changed", proof: parts[0] + "." + flip(parts[1]) + "." + parts[2]},
		{name: "signature changed", proof: parts[0] + "." + parts[1] + "." + flip(parts[2])},
		{name: "another key's signature under the cached header", proof: parts[0] + "." + otherParts[1] + "." + otherParts[2]},
		{name: "signature padded", proof: good + "="},
		{name: "four parts", proof: good + ".x"},
		{name: "signature too short", proof: parts[0] + "." + parts[1] + "." + parts[2][:10]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.proof, e, now)
			if (err == nil) != c.ok {
				t.Errorf("err = %v, want ok %v", err, c.ok)
			}
		})
	}
}
