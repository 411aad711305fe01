package proxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

func TestCookieCodec(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	cc := newCookieCodec(secret, true, time.Hour)
	now := time.Now()
	rec := httptest.NewRecorder()
	cc.write(rec, browserState{BrowserID: "b1", Subject: "alice", SubjectExpiry: now.Add(time.Hour).Unix()})
	set := rec.Result().Cookies()[0]

	t.Run("attributes", func(t *testing.T) {
		if set.Name != "__Host-mcpgate" || !set.Secure || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || set.Path != "/" || set.Domain != "" {
			t.Fatalf("got %+v, want a __Host- cookie, Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain", set)
		}
		if plain := newCookieCodec(secret, false, time.Hour); plain.name != "mcpgate" {
			t.Fatalf("HTTP cookie name: got %q, want mcpgate (browsers refuse __Host- without Secure)", plain.name)
		}
	})

	payload, sig, _ := strings.Cut(set.Value, ".")
	tests := []struct {
		name        string
		value       string
		wantFresh   bool
		wantSubject string
	}{
		{name: "valid", value: set.Value, wantSubject: "alice"},
		{name: "tampered payload", value: "x" + payload + "." + sig, wantFresh: true},
		{name: "tampered signature", value: payload + "." + sig[:len(sig)-2] + "AA", wantFresh: true},
		{name: "no signature", value: payload, wantFresh: true},
		{name: "garbage", value: "%%%.%%%", wantFresh: true},
		{name: "signed by another secret", value: func() string {
			r := httptest.NewRecorder()
			newCookieCodec([]byte(strings.Repeat("z", 32)), true, time.Hour).write(r, browserState{BrowserID: "b1", Subject: "mallory"})
			return r.Result().Cookies()[0].Value
		}(), wantFresh: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(&http.Cookie{Name: cc.name, Value: tt.value})
			st, fresh := cc.read(req, now)
			if fresh != tt.wantFresh || st.Subject != tt.wantSubject {
				t.Fatalf("got fresh=%v subject=%q, want fresh=%v subject=%q", fresh, st.Subject, tt.wantFresh, tt.wantSubject)
			}
			if fresh && st.BrowserID == "" {
				t.Fatal("a fresh state needs a browser id")
			}
		})
	}

	t.Run("expired session keeps the browser id", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(set)
		st, fresh := cc.read(req, now.Add(2*time.Hour))
		if fresh || st.BrowserID != "b1" || st.Subject != "" {
			t.Fatalf("got %+v fresh=%v, want browser b1 with no subject", st, fresh)
		}
	})

	t.Run("csrf", func(t *testing.T) {
		tok := cc.csrfToken("req1", "b1")
		if !cc.checkCSRF(tok, "req1", "b1") {
			t.Fatal("valid token refused")
		}
		for _, c := range [][3]string{{tok, "req2", "b1"}, {tok, "req1", "b2"}, {"", "req1", "b1"}, {"!!", "req1", "b1"}} {
			if cc.checkCSRF(c[0], c[1], c[2]) {
				t.Errorf("token %q accepted for request %q browser %q", c[0], c[1], c[2])
			}
		}
	})
}

// TestSealedIdentity: the identity opens only for the subject it was
// sealed for and only under the same secret; an oversized one is not kept.
func TestSealedIdentity(t *testing.T) {
	cc := newCookieCodec([]byte(strings.Repeat("k", 32)), false, time.Hour)
	other := newCookieCodec([]byte(strings.Repeat("o", 32)), false, time.Hour)
	id := &store.Identity{Subject: "https://idp#ada", Email: "ada@example.com", Groups: []string{"eng"}}
	signedInAt := time.Unix(1_800_000_000, 0)
	sealed := cc.sealIdentity(id, signedInAt)
	tests := []struct {
		name  string
		codec *cookieCodec
		st    browserState
		want  bool
	}{
		{name: "same subject", codec: cc, st: browserState{Subject: id.Subject, Identity: sealed}, want: true},
		{name: "another subject", codec: cc, st: browserState{Subject: "https://idp#eve", Identity: sealed}},
		{name: "another secret", codec: other, st: browserState{Subject: id.Subject, Identity: sealed}},
		{name: "altered", codec: cc, st: browserState{Subject: id.Subject, Identity: sealed[:len(sealed)-2] + "AA"}},
		{name: "no subject", codec: cc, st: browserState{Identity: sealed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, at := tt.codec.openIdentity(tt.st)
			if (got != nil) != tt.want || (got != nil && (got.Email != id.Email || !at.Equal(signedInAt))) {
				t.Errorf("got %+v, want opened %v", got, tt.want)
			}
		})
	}
	many := &store.Identity{Subject: "s"}
	for i := range 400 {
		many.Groups = append(many.Groups, fmt.Sprintf("group-with-a-long-name-%d", i))
	}
	if got := cc.sealIdentity(many, signedInAt); got != "" {
		t.Errorf("got %d bytes sealed, want an oversized identity not kept", len(got))
	}
}
