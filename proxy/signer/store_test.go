package signer_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/signer"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// fakeStore implements only the signing-key part of store.Store; any other
// method panics on the nil embedded interface, flagging unexpected use.
type fakeStore struct {
	store.Store

	now func() time.Time

	mu   sync.Mutex
	keys []store.SigningKey // creation order

	lists atomic.Int64
	// afterList, when set, runs after every ListSigningKeys has read the
	// keys and before it returns them, with the call number (1-based).
	afterList func(n int64)
}

func newFakeStore(now func() time.Time) *fakeStore {
	return &fakeStore{now: now}
}

func cloneKey(k store.SigningKey) store.SigningKey {
	k.PrivateKey = bytes.Clone(k.PrivateKey)
	k.PublicKey = bytes.Clone(k.PublicKey)
	return k
}

func (s *fakeStore) expired(k store.SigningKey) bool {
	return !k.ExpiresAt.IsZero() && !s.now().Before(k.ExpiresAt)
}

func (s *fakeStore) CreateSigningKey(_ context.Context, k store.SigningKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.keys {
		if have.ID == k.ID {
			return store.ErrAlreadyExists
		}
	}
	s.keys = append(s.keys, cloneKey(k))
	return nil
}

func (s *fakeStore) ListSigningKeys(context.Context) ([]store.SigningKey, error) {
	n := s.lists.Add(1)
	s.mu.Lock()
	var out []store.SigningKey
	for _, k := range s.keys {
		if !s.expired(k) {
			out = append(out, cloneKey(k))
		}
	}
	s.mu.Unlock()
	if s.afterList != nil {
		s.afterList(n)
	}
	return out, nil
}

func (s *fakeStore) UpdateSigningKey(_ context.Context, id string, update func(*store.SigningKey) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range s.keys {
		if k.ID != id || s.expired(k) {
			continue
		}
		k = cloneKey(k)
		if err := update(&k); err != nil {
			return err
		}
		s.keys[i] = k
		return nil
	}
	return store.ErrNotFound
}

func (s *fakeStore) GarbageCollect(_ context.Context, now time.Time) (store.GCResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res store.GCResult
	s.keys = slices.DeleteFunc(s.keys, func(k store.SigningKey) bool {
		gone := !k.ExpiresAt.IsZero() && k.ExpiresAt.Before(now)
		if gone {
			res.SigningKeys++
		}
		return gone
	})
	return res, nil
}

// all returns every record, expired or not.
func (s *fakeStore) all() []store.SigningKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]store.SigningKey, len(s.keys))
	for i, k := range s.keys {
		out[i] = cloneKey(k)
	}
	return out
}

func (s *fakeStore) get(t *testing.T, id string) store.SigningKey {
	t.Helper()
	for _, k := range s.all() {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("key %s not in store", id)
	return store.SigningKey{}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var discard = slog.New(slog.DiscardHandler)

func testOptions(clk *clock) signer.Options {
	return signer.Options{
		Now:             clk.Now,
		TokenLifetime:   time.Hour,
		RefreshInterval: 30 * time.Second,
		Logger:          discard,
	}
}

func mustNew(t testing.TB, st store.Store, opts signer.Options) *signer.Manager {
	t.Helper()
	m, err := signer.New(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	return m
}

type claims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
}

var testClaims = claims{Iss: "https://gate.example", Sub: "idp#alice", Aud: "https://mcp.example", Exp: 1893456000}

func mustSign(t testing.TB, m *signer.Manager) string {
	t.Helper()
	tok, err := m.Sign(context.Background(), "at+jwt", testClaims)
	if err != nil {
		t.Fatalf("Sign: got error %v, want nil", err)
	}
	return tok
}

// header decodes the protected header of a compact JWS.
func header(t testing.TB, token string) map[string]any {
	t.Helper()
	raw, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		t.Fatalf("decode header: %v", err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("unmarshal header: %v", err)
	}
	return h
}

func kidOf(t testing.TB, token string) string {
	t.Helper()
	kid, _ := header(t, token)["kid"].(string)
	return kid
}

// rawJWS assembles a compact JWS from a literal header, a payload and a
// signing function over the signing input.
func rawJWS(hdr string, payload []byte, sign func(input []byte) []byte) string {
	input := base64.RawURLEncoding.EncodeToString([]byte(hdr)) + "." + base64.RawURLEncoding.EncodeToString(payload)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

// es256 signs like a JWS ES256 signer with the given key.
func es256(priv *ecdsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		d := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, priv, d[:])
		if err != nil {
			panic(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	}
}

func kids(t testing.TB, m *signer.Manager) []string {
	t.Helper()
	set, err := m.KeySet(context.Background())
	if err != nil {
		t.Fatalf("KeySet: got error %v, want nil", err)
	}
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
