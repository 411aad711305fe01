package signer_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpgate/mcpgate/proxy/signer"
)

func TestNewCreatesAndPersistsFirstKey(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	m := mustNew(t, st, testOptions(clk))

	recs := st.all()
	if len(recs) != 1 {
		t.Fatalf("stored keys: got %d, want 1", len(recs))
	}
	rec := recs[0]

	privAny, err := x509.ParsePKCS8PrivateKey(rec.PrivateKey)
	if err != nil {
		t.Fatalf("stored private key: got parse error %v, want PKCS#8", err)
	}
	priv, _ := privAny.(*ecdsa.PrivateKey)
	pubAny, err := x509.ParsePKIXPublicKey(rec.PublicKey)
	if err != nil {
		t.Fatalf("stored public key: got parse error %v, want PKIX", err)
	}
	pub, _ := pubAny.(*ecdsa.PublicKey)
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		got, want any
	}{
		{"algorithm", rec.Algorithm, "ES256"},
		{"private key is P-256", priv != nil && priv.Curve == elliptic.P256(), true},
		{"public key matches private key", priv != nil && priv.PublicKey.Equal(pub), true},
		{"kid is the RFC 7638 thumbprint", rec.ID, base64.RawURLEncoding.EncodeToString(tp)},
		{"CreatedAt", rec.CreatedAt, clk.Now()},
		{"ActiveAt is now: the first key signs at once", rec.ActiveAt, clk.Now()},
		{"RetiredAt zero", rec.RetiredAt.IsZero(), true},
		{"ExpiresAt zero", rec.ExpiresAt.IsZero(), true},
		{"signs with it", kidOf(t, mustSign(t, m)), rec.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}

	t.Run("restart reuses the stored key", func(t *testing.T) {
		clk.Advance(10 * time.Minute)
		m2 := mustNew(t, st, testOptions(clk))
		if got := len(st.all()); got != 1 {
			t.Errorf("stored keys after restart: got %d, want 1", got)
		}
		if got := kidOf(t, mustSign(t, m2)); got != rec.ID {
			t.Errorf("kid after restart: got %s, want %s", got, rec.ID)
		}
		// A token from before the restart still verifies.
		if _, err := m2.Verify(mustSign(t, m), "at+jwt"); err != nil {
			t.Errorf("Verify old token: got %v, want nil", err)
		}
	})
}

func TestNewOptionsValidation(t *testing.T) {
	clk := newClock()
	seal := func(b []byte) ([]byte, error) { return b, nil }
	tests := []struct {
		name    string
		mutate  func(*signer.Options)
		wantErr string
	}{
		{"defaults are fine", func(*signer.Options) {}, ""},
		{"zero TokenLifetime", func(o *signer.Options) { o.TokenLifetime = 0 }, "TokenLifetime"},
		{"negative RefreshInterval", func(o *signer.Options) { o.RefreshInterval = -time.Second }, "RefreshInterval"},
		{"negative RotationPeriod", func(o *signer.Options) { o.RotationPeriod = -time.Second }, "RotationPeriod"},
		{"Seal without Open", func(o *signer.Options) { o.Seal = seal }, "Seal and Open"},
		{"Open without Seal", func(o *signer.Options) { o.Open = seal }, "Seal and Open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(clk)
			tt.mutate(&opts)
			_, err := signer.New(context.Background(), newFakeStore(clk.Now), opts)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got error %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	clk := newClock()
	m := mustNew(t, newFakeStore(clk.Now), testOptions(clk))
	kid := kids(t, m)[0]
	wantPayload, _ := json.Marshal(testClaims)

	tests := []struct {
		name    string
		typ     string
		claims  any
		wantErr string
	}{
		{"access token", "at+jwt", testClaims, ""},
		{"map claims", "at+jwt", map[string]any{"sub": "bob"}, ""},
		{"raw JSON claims", "at+jwt", json.RawMessage(wantPayload), ""},
		{"claims not an object", "at+jwt", []string{"a"}, "JSON object"},
		{"nil claims", "at+jwt", nil, "JSON object"},
		{"unencodable claims", "at+jwt", map[string]any{"c": make(chan int)}, "encode claims"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := m.Sign(context.Background(), tt.typ, tt.claims)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Sign: got error %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sign: got error %v, want nil", err)
			}
			h := header(t, tok)
			for name, want := range map[string]string{"alg": "ES256", "typ": tt.typ, "kid": kid} {
				if got := h[name]; got != want {
					t.Errorf("header %s: got %v, want %s", name, got, want)
				}
			}
			if len(h) != 3 {
				t.Errorf("header: got %v, want exactly alg, kid, typ", h)
			}
			payload, err := m.Verify(tok, tt.typ)
			if err != nil {
				t.Fatalf("Verify: got error %v, want nil", err)
			}
			want, _ := json.Marshal(tt.claims)
			if !bytes.Equal(payload, want) {
				t.Errorf("payload: got %s, want %s", payload, want)
			}
		})
	}
}

func TestKeySet(t *testing.T) {
	clk := newClock()
	m := mustNew(t, newFakeStore(clk.Now), testOptions(clk))
	tok := mustSign(t, m)

	set, err := m.KeySet(context.Background())
	if err != nil {
		t.Fatalf("KeySet: got error %v, want nil", err)
	}
	doc, err := json.Marshal(set)
	if err != nil {
		t.Fatalf("marshal JWKS: %v", err)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		t.Fatalf("unmarshal JWKS: %v", err)
	}
	if len(raw.Keys) != 1 {
		t.Fatalf("JWKS keys: got %d, want 1 (%s)", len(raw.Keys), doc)
	}
	k := raw.Keys[0]
	tests := []struct {
		field string
		want  any
	}{
		{"kty", "EC"},
		{"crv", "P-256"},
		{"use", "sig"},
		{"alg", "ES256"},
		{"kid", kidOf(t, tok)},
		{"d", nil}, // never the private key
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			if got := k[tt.field]; got != tt.want {
				t.Errorf("%s: got %v, want %v", tt.field, got, tt.want)
			}
		})
	}

	t.Run("token verifies with go-jose against the published JWKS alone", func(t *testing.T) {
		var published jose.JSONWebKeySet
		if err := json.Unmarshal(doc, &published); err != nil {
			t.Fatalf("parse JWKS: %v", err)
		}
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatalf("ParseSigned: %v", err)
		}
		hdr := jws.Signatures[0].Header
		if got := hdr.ExtraHeaders[jose.HeaderType]; got != "at+jwt" {
			t.Errorf("typ: got %v, want at+jwt", got)
		}
		keys := published.Key(hdr.KeyID)
		if len(keys) != 1 {
			t.Fatalf("keys for kid %q: got %d, want 1", hdr.KeyID, len(keys))
		}
		payload, err := jws.Verify(keys[0])
		if err != nil {
			t.Fatalf("go-jose Verify: got %v, want nil", err)
		}
		want, _ := json.Marshal(testClaims)
		if !bytes.Equal(payload, want) {
			t.Errorf("payload: got %s, want %s", payload, want)
		}
	})
}

func TestPublicKeyDoesNotTouchStore(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	m := mustNew(t, st, testOptions(clk))
	kid := kids(t, m)[0]
	before := st.lists.Load()

	tests := []struct {
		name   string
		kid    string
		wantOK bool
	}{
		{"known kid", kid, true},
		{"unknown kid", "nope", false},
		{"empty kid", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, ok := m.PublicKey(tt.kid)
			if ok != tt.wantOK {
				t.Fatalf("ok: got %v, want %v", ok, tt.wantOK)
			}
			if ok {
				if _, isEC := pub.(*ecdsa.PublicKey); !isEC {
					t.Errorf("key type: got %T, want *ecdsa.PublicKey", pub)
				}
			}
		})
	}
	if got := st.lists.Load(); got != before {
		t.Errorf("store listings during PublicKey: got %d, want 0", got-before)
	}
}

func TestSealOpen(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	xor := func(b []byte) ([]byte, error) {
		out := make([]byte, len(b))
		for i := range b {
			out[i] = b[i] ^ 0x5a
		}
		return out, nil
	}
	opts := testOptions(clk)
	opts.Seal, opts.Open = xor, xor
	m := mustNew(t, st, opts)

	if _, err := x509.ParsePKCS8PrivateKey(st.all()[0].PrivateKey); err == nil {
		t.Fatalf("stored private key: got plain PKCS#8, want sealed bytes")
	}
	tok := mustSign(t, m)

	broken := errors.New("wrong key")
	tests := []struct {
		name    string
		open    func([]byte) ([]byte, error)
		wantErr bool
	}{
		{"same Open signs with the stored key", xor, false},
		{"failing Open refuses to start instead of forking the key set", func([]byte) ([]byte, error) { return nil, broken }, true},
		{"Open yielding garbage refuses to start", func(b []byte) ([]byte, error) { return b, nil }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts
			o.Open = tt.open
			m2, err := signer.New(context.Background(), st, o)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New: got nil error, want one")
				}
				if got := len(st.all()); got != 1 {
					t.Errorf("stored keys: got %d, want 1 (no replacement key)", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: got error %v, want nil", err)
			}
			if got, want := kidOf(t, mustSign(t, m2)), kidOf(t, tok); got != want {
				t.Errorf("kid: got %s, want %s", got, want)
			}
		})
	}
}

// Two replicas starting at once on an empty store both create a key; after a
// reload they must agree on which one signs.
func TestConcurrentStartConverges(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	var bothListed sync.WaitGroup
	bothListed.Add(2)
	st.afterList = func(n int64) {
		if n <= 2 { // each replica's first look finds the store empty
			bothListed.Done()
			bothListed.Wait()
		}
	}

	ms := make([]*signer.Manager, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range ms {
		wg.Go(func() { ms[i], errs[i] = signer.New(context.Background(), st, testOptions(clk)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("New replica %d: got error %v, want nil", i, err)
		}
	}
	recs := st.all()
	if len(recs) != 2 {
		t.Fatalf("stored keys: got %d, want 2", len(recs))
	}
	// Same ActiveAt under the shared clock, so the tie-break by ID decides.
	want := max(recs[0].ID, recs[1].ID)

	for i, m := range ms {
		if err := m.Reload(context.Background()); err != nil {
			t.Fatalf("Reload replica %d: %v", i, err)
		}
	}
	tests := []struct {
		name      string
		signer    *signer.Manager
		verifier  *signer.Manager
		wantKIDs  []string
		wantSigns string
	}{
		{"replica 0", ms[0], ms[1], sorted(recs[0].ID, recs[1].ID), want},
		{"replica 1", ms[1], ms[0], sorted(recs[0].ID, recs[1].ID), want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustSign(t, tt.signer)
			if got := kidOf(t, tok); got != tt.wantSigns {
				t.Errorf("signing kid: got %s, want %s", got, tt.wantSigns)
			}
			if got := kids(t, tt.signer); !slices.Equal(got, tt.wantKIDs) {
				t.Errorf("JWKS kids: got %v, want %v", got, tt.wantKIDs)
			}
			if _, err := tt.verifier.Verify(tok, "at+jwt"); err != nil {
				t.Errorf("Verify on the other replica: got %v, want nil", err)
			}
		})
	}
}
