package signer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/signer"
)

func TestVerifyRejects(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	m := mustNew(t, st, testOptions(clk))
	good := mustSign(t, m)
	kid := kidOf(t, good)
	parts := strings.Split(good, ".")
	payload, _ := json.Marshal(testClaims)

	pubDER := st.all()[0].PublicKey
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs256 := func(secret []byte) func([]byte) []byte {
		return func(input []byte) []byte {
			mac := hmac.New(sha256.New, secret)
			mac.Write(input)
			return mac.Sum(nil)
		}
	}
	foreign, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	noSig := func([]byte) []byte { return nil }
	// The attacker's own public key, embedded in the header for a
	// verifier that trusts it (CVE-2018-0114).
	point, err := foreign.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	foreignJWK := fmt.Sprintf(`{"kty":"EC","crv":"P-256","x":"%s","y":"%s"}`,
		base64.RawURLEncoding.EncodeToString(point[1:33]), base64.RawURLEncoding.EncodeToString(point[33:]))
	hdr := func(alg, typ string) string {
		return `{"alg":"` + alg + `","kid":"` + kid + `","typ":"` + typ + `"}`
	}
	d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	derSig, _ := ecdsa.SignASN1(rand.Reader, foreign, d[:])
	sigBytes, _ := base64.RawURLEncoding.DecodeString(parts[2])
	b64 := base64.RawURLEncoding.EncodeToString

	// A 64-byte signature encodes to 86 characters whose last carries 4
	// unused bits; setting them must not yield a second valid spelling.
	last := parts[2][len(parts[2])-1]
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	idx := strings.IndexByte(alphabet, last)
	nonCanonical := parts[0] + "." + parts[1] + "." + parts[2][:85] + string(alphabet[idx|1])

	tests := []struct {
		name    string
		token   string
		wantTyp string
		wantErr string
		// mayReload: the case legitimately triggers the unknown-kid reload.
		mayReload bool
	}{
		{"alg none", rawJWS(hdr("none", "at+jwt"), payload, noSig), "at+jwt", "algorithm", false},
		{"alg none without kid", rawJWS(`{"alg":"none","typ":"at+jwt"}`, payload, noSig), "at+jwt", "algorithm", false},
		{"alg missing", rawJWS(`{"kid":"`+kid+`","typ":"at+jwt"}`, payload, noSig), "at+jwt", "algorithm", false},
		{"HS256 keyed with the public key DER", rawJWS(hdr("HS256", "at+jwt"), payload, hs256(pubDER)), "at+jwt", "algorithm", false},
		{"HS256 keyed with the public key PEM", rawJWS(hdr("HS256", "at+jwt"), payload, hs256(pubPEM)), "at+jwt", "algorithm", false},
		{"ES384", rawJWS(hdr("ES384", "at+jwt"), payload, es256(foreign)), "at+jwt", "algorithm", false},
		{"lower-case es256", rawJWS(hdr("es256", "at+jwt"), payload, es256(foreign)), "at+jwt", "algorithm", false},
		{"alg member in other case", rawJWS(`{"ALG":"ES256","kid":"`+kid+`","typ":"at+jwt"}`, payload, noSig), "at+jwt", "algorithm", false},
		{"duplicate alg member", rawJWS(`{"alg":"ES256","alg":"none","kid":"`+kid+`","typ":"at+jwt"}`, payload, noSig), "at+jwt", "malformed", false},
		{"crit header", rawJWS(`{"alg":"ES256","crit":["b64"],"b64":false,"kid":"`+kid+`","typ":"at+jwt"}`, payload, es256(foreign)), "at+jwt", "critical", false},
		{"unknown kid", rawJWS(`{"alg":"ES256","kid":"not-ours","typ":"at+jwt"}`, payload, es256(foreign)), "at+jwt", "unknown key", true},
		{"no kid", rawJWS(`{"alg":"ES256","typ":"at+jwt"}`, payload, es256(foreign)), "at+jwt", "unknown key", false},
		{"kid aimed at a path", rawJWS(`{"alg":"ES256","kid":"../../../../etc/passwd","typ":"at+jwt"}`, payload, es256(foreign)), "at+jwt", "unknown key", true},
		{"kid naming a JWKS URL", rawJWS(`{"alg":"ES256","kid":"https://evil.example/jwks.json?kid=`+kid+`","typ":"at+jwt"}`, payload, es256(foreign)), "at+jwt", "unknown key", true},
		{"kid of SQL", rawJWS(`{"alg":"ES256","kid":"' OR '1'='1","typ":"at+jwt"}`, payload, es256(foreign)), "at+jwt", "unknown key", true},
		{"jku and x5u headers", rawJWS(`{"alg":"ES256","kid":"`+kid+`","jku":"https://evil.example/jwks.json","x5u":"https://evil.example/c.pem","typ":"at+jwt"}`, payload, es256(foreign)), "at+jwt", "bad signature", false},
		{"embedded jwk header", rawJWS(`{"alg":"ES256","kid":"`+kid+`","jwk":`+foreignJWK+`,"typ":"at+jwt"}`, payload, es256(foreign)), "at+jwt", "bad signature", false},
		{"our kid, foreign key", rawJWS(hdr("ES256", "at+jwt"), payload, es256(foreign)), "at+jwt", "bad signature", false},
		{"tampered payload", parts[0] + "." + b64([]byte(`{"sub":"idp#mallory"}`)) + "." + parts[2], "at+jwt", "bad signature", false},
		{"tampered header", b64([]byte(hdr("ES256", "at+JWT"))) + "." + parts[1] + "." + parts[2], "at+jwt", "bad signature", false},
		{"signature flipped bit", parts[0] + "." + parts[1] + "." + b64(append([]byte{sigBytes[0] ^ 1}, sigBytes[1:]...)), "at+jwt", "bad signature", false},
		{"signature non-canonical base64", nonCanonical, "at+jwt", "bad signature", false},
		{"signature ASN.1 instead of r||s", parts[0] + "." + parts[1] + "." + b64(derSig), "at+jwt", "bad signature", false},
		{"signature all zero", parts[0] + "." + parts[1] + "." + b64(make([]byte, 64)), "at+jwt", "bad signature", false},
		{"signature all ones", parts[0] + "." + parts[1] + "." + b64([]byte(strings.Repeat("\xff", 64))), "at+jwt", "bad signature", false},
		{"signature missing", parts[0] + "." + parts[1] + ".", "at+jwt", "bad signature", false},
		{"wrong typ", rawJWS(hdr("ES256", "JWT"), payload, noSig), "at+jwt", "typ", false},
		{"typ missing", rawJWS(`{"alg":"ES256","kid":"`+kid+`"}`, payload, noSig), "at+jwt", "typ", false},
		{"access token where an ID token is wanted", good, "JWT", "typ", false},
		{"empty", "", "at+jwt", "malformed", false},
		{"one dot", "a.b", "at+jwt", "malformed", false},
		{"dots only", "..", "at+jwt", "malformed", false},
		{"four parts", good + ".x", "at+jwt", "malformed", false},
		{"JWE-like five parts", "a.b.c.d.e", "at+jwt", "malformed", false},
		{"not base64", "!!!.???.***", "at+jwt", "malformed", false},
		{"padding", parts[0] + "=." + parts[1] + "." + parts[2], "at+jwt", "malformed", false},
		{"newline in signature", parts[0] + "." + parts[1] + "." + parts[2][:40] + "\n" + parts[2][40:], "at+jwt", "malformed", false},
		{"space", " " + good, "at+jwt", "malformed", false},
		{"header not JSON", b64([]byte("hello")) + "." + parts[1] + "." + parts[2], "at+jwt", "malformed", false},
		{"header JSON array", b64([]byte(`["ES256"]`)) + "." + parts[1] + "." + parts[2], "at+jwt", "malformed", false},
		{"header alg not a string", b64([]byte(`{"alg":256}`)) + "." + parts[1] + "." + parts[2], "at+jwt", "malformed", false},
		{"header huge", b64([]byte(`{"alg":"ES256","x":"`+strings.Repeat("a", 600)+`"}`)) + "." + parts[1] + "." + parts[2], "at+jwt", "malformed", false},
		{"header odd length base64", "a." + parts[1] + "." + parts[2], "at+jwt", "malformed", false},
		{"token too large", parts[0] + "." + strings.Repeat("A", 70<<10) + "." + parts[2], "at+jwt", "too large", false},
		{"unicode", "\u00e9\u00e9.\u00e9.\u00e9", "at+jwt", "malformed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := st.lists.Load()
			payload, err := m.Verify(tt.token, tt.wantTyp)
			if err == nil {
				t.Fatalf("Verify: got payload %q, want error mentioning %q", payload, tt.wantErr)
			}
			if !errors.Is(err, signer.ErrInvalidToken) {
				t.Errorf("error: got %v, want one wrapping ErrInvalidToken", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error: got %q, want one mentioning %q", err, tt.wantErr)
			}
			if payload != nil {
				t.Errorf("payload: got %q, want nil", payload)
			}
			if got := st.lists.Load() - before; got != 0 && !tt.mayReload {
				t.Errorf("store listings: got %d, want 0", got)
			}
		})
	}
}

func TestVerifyTyp(t *testing.T) {
	clk := newClock()
	m := mustNew(t, newFakeStore(clk.Now), testOptions(clk))
	tests := []struct {
		name    string
		typ     string
		wantTyp string
		wantOK  bool
	}{
		{"exact", "at+jwt", "at+jwt", true},
		{"upper case", "AT+JWT", "at+jwt", true},
		{"media type prefix", "application/at+jwt", "at+jwt", true},
		{"media type prefix, mixed case", "Application/AT+jwt", "at+jwt", true},
		{"caller wants the prefixed form", "at+jwt", "application/at+jwt", true},
		{"plain JWT", "JWT", "at+jwt", false},
		{"prefixed JWT", "application/jwt", "at+jwt", false},
		{"trailing space", "at+jwt ", "at+jwt", false},
		{"prefix only", "application/", "at+jwt", false},
		{"other prefix", "text/at+jwt", "at+jwt", false},
		{"no typ, none wanted", "", "", true},
		{"typ present, none wanted", "at+jwt", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := m.Sign(context.Background(), tt.typ, testClaims)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Verify(tok, tt.wantTyp)
			if gotOK := err == nil; gotOK != tt.wantOK {
				t.Errorf("Verify(typ %q, want %q): got error %v, want success %v", tt.typ, tt.wantTyp, err, tt.wantOK)
			}
		})
	}
}

// A replica that has not reloaded yet still verifies a token from a key
// another replica just made, and junk kids cannot make it hammer the store.
func TestVerifyUnknownKidReloadIsRateLimited(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	opts := testOptions(clk)
	opts.PublishDelay = -1 // the successor signs at once: no time to reload
	m1 := mustNew(t, st, opts)
	m2 := mustNew(t, st, opts)
	if err := m1.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := mustSign(t, m1)
	foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	payload, _ := json.Marshal(testClaims)
	junk := func(kid string) string {
		return rawJWS(`{"alg":"ES256","kid":"`+kid+`","typ":"at+jwt"}`, payload, es256(foreign))
	}

	steps := []struct {
		name      string
		advance   time.Duration
		token     string
		wantOK    bool
		wantLists int64
	}{
		{"new kid: one reload, verifies", 0, fresh, true, 1},
		{"new kid again: cached", 0, fresh, true, 0},
		{"junk kid within the interval: no reload", time.Second, junk("junk-1"), false, 0},
		{"another junk kid: still no reload", time.Second, junk("junk-2"), false, 0},
		{"junk kid after the interval: one reload", 30 * time.Second, junk("junk-3"), false, 1},
		{"junk kid right after: no reload", 0, junk("junk-4"), false, 0},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			clk.Advance(step.advance)
			before := st.lists.Load()
			_, err := m2.Verify(step.token, "at+jwt")
			if gotOK := err == nil; gotOK != step.wantOK {
				t.Errorf("Verify: got error %v, want success %v", err, step.wantOK)
			}
			if got := st.lists.Load() - before; got != step.wantLists {
				t.Errorf("store listings: got %d, want %d", got, step.wantLists)
			}
		})
	}
}

func TestVerifyPayloadIsACopy(t *testing.T) {
	clk := newClock()
	m := mustNew(t, newFakeStore(clk.Now), testOptions(clk))
	tok := mustSign(t, m)
	p1, err := m.Verify(tok, "at+jwt")
	if err != nil {
		t.Fatal(err)
	}
	for i := range p1 {
		p1[i] = 'x'
	}
	p2, err := m.Verify(tok, "at+jwt")
	if err != nil {
		t.Fatalf("Verify after mutating an earlier payload: got %v, want nil", err)
	}
	want, _ := json.Marshal(testClaims)
	if string(p2) != string(want) {
		t.Errorf("payload: got %s, want %s", p2, want)
	}
}

func FuzzVerify(f *testing.F) {
	clk := newClock()
	m := mustNew(f, newFakeStore(clk.Now), testOptions(clk))
	good := mustSign(f, m)
	f.Add(good)
	f.Add("")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(good[:len(good)-1] + "B")
	f.Fuzz(func(t *testing.T, token string) {
		payload, err := m.Verify(token, "at+jwt")
		if err == nil && token != good {
			// Another spelling of a valid token must not exist.
			t.Errorf("Verify(%q): got payload %q, want error", token, payload)
		}
	})
}

// Verify reads our own header byte for byte and everything else with a
// strict JSON decoder; both must agree on what a header means.
func TestVerifyHeaderForms(t *testing.T) {
	clk := newClock()
	st := newFakeStore(clk.Now)
	m := mustNew(t, st, testOptions(clk))
	privAny, err := x509.ParsePKCS8PrivateKey(st.all()[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	priv := privAny.(*ecdsa.PrivateKey)
	kid := st.all()[0].ID
	payload, _ := json.Marshal(testClaims)

	tests := []struct {
		name    string
		header  string
		wantTyp string
		wantErr string // "" for success
	}{
		{"canonical", `{"alg":"ES256","kid":"` + kid + `","typ":"at+jwt"}`, "at+jwt", ""},
		{"members reordered", `{"typ":"at+jwt","kid":"` + kid + `","alg":"ES256"}`, "at+jwt", ""},
		{"whitespace", `{ "alg" : "ES256", "kid" : "` + kid + `", "typ" : "at+jwt" } `, "at+jwt", ""},
		{"escaped typ", `{"alg":"ES256","kid":"` + kid + `","typ":"at\u002bjwt"}`, "at+jwt", ""},
		{"escaped kid", `{"alg":"ES256","kid":"\u00` + fmt.Sprintf("%x", kid[0]) + kid[1:] + `","typ":"at+jwt"}`, "at+jwt", ""},
		{"unknown member ignored", `{"alg":"ES256","kid":"` + kid + `","typ":"at+jwt","x5u":"https://evil.example"}`, "at+jwt", ""},
		{"no typ, none wanted", `{"alg":"ES256","kid":"` + kid + `"}`, "", ""},
		{"escaped typ hides a different value", `{"alg":"ES256","kid":"` + kid + `","typ":"\u004aWT"}`, "at+jwt", "typ"},
		{"duplicate typ after the canonical part", `{"alg":"ES256","kid":"` + kid + `","typ":"at+jwt","typ":"JWT"}`, "at+jwt", "malformed"},
		{"duplicate kid", `{"alg":"ES256","kid":"` + kid + `","kid":"other","typ":"at+jwt"}`, "at+jwt", "malformed"},
		{"trailing garbage", `{"alg":"ES256","kid":"` + kid + `","typ":"at+jwt"}x`, "at+jwt", "malformed"},
		{"truncated", `{"alg":"ES256","kid":"` + kid + `","typ":"at+jwt"`, "at+jwt", "malformed"},
		{"alg escaped to none", `{"alg":"\u006eone","kid":"` + kid + `","typ":"at+jwt"}`, "at+jwt", "algorithm"},
		{"kid null", `{"alg":"ES256","kid":null,"typ":"at+jwt"}`, "at+jwt", "unknown key"},
		{"crit empty", `{"alg":"ES256","kid":"` + kid + `","typ":"at+jwt","crit":[]}`, "at+jwt", "critical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := rawJWS(tt.header, payload, es256(priv))
			got, err := m.Verify(tok, tt.wantTyp)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: got error %v, want nil", err)
				}
				if string(got) != string(payload) {
					t.Errorf("payload: got %s, want %s", got, payload)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Verify: got error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}
