package signer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/proxy/signer"
)

// The signer signs and verifies with go-jose, behind checks of its own
// (strict base64url, a bounded header, crit refused, alg pinned first).
// These tests hold it to plain go-jose: what one signs the other
// verifies, and on any token what the signer accepts plain go-jose
// accepts too; the signer may only refuse more. BenchmarkVerify against
// BenchmarkVerifyGoJose is the cost of those checks.

// goJoseVerify is go-jose's answer for token: ES256 only, the key named
// by kid among m's, typ as the signer compares it.
func goJoseVerify(m *signer.Manager, token, wantTyp string) ([]byte, bool) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, false
	}
	h := jws.Signatures[0].Protected
	pub, ok := m.PublicKey(h.KeyID)
	if !ok {
		return nil, false
	}
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	trim := func(s string) string {
		if len(s) >= len("application/") && strings.EqualFold(s[:len("application/")], "application/") {
			return s[len("application/"):]
		}
		return s
	}
	if !strings.EqualFold(trim(typ), trim(wantTyp)) {
		return nil, false
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, false
	}
	return payload, true
}

// goJoseSigner signs with m's current key through go-jose.
func goJoseSigner(t testing.TB, st *fakeStore, m *signer.Manager, extra map[jose.HeaderKey]any) jose.Signer {
	t.Helper()
	k := st.all()[0]
	priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	opts := (&jose.SignerOptions{ExtraHeaders: extra}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), k.ID)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv.(*ecdsa.PrivateKey)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzSignerAgreesWithGoJose: claims the signer signs verify with go-jose
// to the same payload; a token go-jose signs with extra header members
// verifies with the signer (unless its header outgrows the signer's
// bound); and on any token the fuzzer makes, the signer accepts nothing
// go-jose refuses.
func FuzzSignerAgreesWithGoJose(f *testing.F) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	m := mustNew(f, st, testOptions(clk))
	good := mustSign(f, m)
	f.Add(`{"sub":"alice","groups":["eng"]}`, "x5u", "https://evil.example", good)
	f.Add(`{"a":"\u2028\u0000","b":1e400}`, "jku", "", good[:len(good)-2]+"AA")
	f.Add(`{}`, "zip", "DEF", "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.e30.")
	f.Add(`{"x":[`+strings.Repeat("1,", 50)+`1]}`, "b64", "false", strings.Replace(good, ".", "\n.", 1))
	f.Fuzz(func(t *testing.T, claims, extraKey, extraValue, token string) {
		var obj map[string]any
		if json.Unmarshal([]byte(claims), &obj) == nil && obj != nil {
			tok, err := m.Sign(context.Background(), "at+jwt", json.RawMessage(claims))
			if err == nil {
				got, ok := goJoseVerify(m, tok, "at+jwt")
				mine, err := m.Verify(tok, "at+jwt")
				if !ok || err != nil || string(got) != string(mine) {
					t.Fatalf("signed %q: go-jose %v %q, signer %v %q", claims, ok, got, err, mine)
				}
			}
			// go-jose's token with an extra member verifies with the signer.
			key := jose.HeaderKey(extraKey)
			switch extraKey {
			case "", "alg", "kid", "typ", "crit", "b64", "jwk", "x5c", "nonce", "url", "zip":
				// set by the options, or changing what the token means
			default:
				if s := goJoseSigner(t, st, m, map[jose.HeaderKey]any{key: extraValue}); s != nil {
					if jws, err := s.Sign([]byte(claims)); err == nil {
						tok, _ := jws.CompactSerialize()
						want, ok := goJoseVerify(m, tok, "at+jwt")
						got, err := m.Verify(tok, "at+jwt")
						header := strings.SplitN(tok, ".", 2)[0]
						if ok && err != nil && len(header) < 600 {
							t.Fatalf("go-jose's token with %s=%q: the signer refuses it: %v", extraKey, extraValue, err)
						}
						if err == nil && (!ok || string(got) != string(want)) {
							t.Fatalf("go-jose's token with %s=%q: the signer reads %q, go-jose %v %q", extraKey, extraValue, got, ok, want)
						}
					}
				}
			}
		}
		mine, err := m.Verify(token, "at+jwt")
		if err != nil {
			return
		}
		theirs, ok := goJoseVerify(m, token, "at+jwt")
		if !ok || string(theirs) != string(mine) {
			t.Fatalf("the signer accepts %q (payload %q), go-jose does not (%v, %q)", token, mine, ok, theirs)
		}
	})
}

// BenchmarkVerifyGoJose is BenchmarkVerify done by go-jose, for the
// comparison docs/security.md reports.
func BenchmarkVerifyGoJose(b *testing.B) {
	clk := newClock()
	m := mustNew(b, newFakeStore(clk.Now), testOptions(clk))
	tok := mustSign(b, m)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := goJoseVerify(m, tok, "at+jwt"); !ok {
			b.Fatal("go-jose refused the token")
		}
	}
}

// BenchmarkSignGoJose is BenchmarkSign done by go-jose.
func BenchmarkSignGoJose(b *testing.B) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	m := mustNew(b, st, testOptions(clk))
	s := goJoseSigner(b, st, m, nil)
	b.ReportAllocs()
	for b.Loop() {
		payload, _ := json.Marshal(testClaims)
		jws, err := s.Sign(payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.CompactSerialize(); err != nil {
			b.Fatal(err)
		}
	}
}
