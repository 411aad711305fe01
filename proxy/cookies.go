package proxy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// browserState is what mcpgate keeps in the browser: a random id that flows
// are bound to, and who signed in last (for the consent check).
type browserState struct {
	BrowserID string `json:"b"`
	Subject   string `json:"s,omitempty"`
	// SubjectExpiry ends the session; the browser id outlives it.
	SubjectExpiry int64 `json:"x,omitempty"`
	// Identity is the signed-in user as the IdP described them, sealed
	// (AES-GCM under a key of the cookie secret), with
	// session.reuse_sign_in: more sign-ins in this session skip the
	// upstream login.
	Identity string `json:"i,omitempty"`
}

// maxSealedIdentity bounds the identity kept in the cookie (browsers cap
// a cookie near 4 KiB); a larger one (hundreds of groups) is not kept,
// and the next sign-in goes upstream again.
const maxSealedIdentity = 2800

// cookieCodec signs the one cookie mcpgate sets. On HTTPS it is a __Host-
// cookie (Secure, Path=/, no Domain), so no sibling host can set or read
// it; on loopback HTTP (development) browsers refuse that prefix.
type cookieCodec struct {
	key    []byte
	secure bool
	name   string
	ttl    time.Duration
}

func newCookieCodec(secret []byte, secure bool, ttl time.Duration) *cookieCodec {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("mcpgate cookie v1"))
	name := "mcpgate"
	if secure {
		name = "__Host-mcpgate"
	}
	return &cookieCodec{key: mac.Sum(nil), secure: secure, name: name, ttl: ttl}
}

func (cc *cookieCodec) sign(parts ...string) []byte {
	mac := hmac.New(sha256.New, cc.key)
	for _, p := range parts {
		mac.Write([]byte(p))
		mac.Write([]byte{0})
	}
	return mac.Sum(nil)
}

// read returns the browser's state; a missing, forged or malformed cookie
// yields a fresh state with a new browser id.
func (cc *cookieCodec) read(r *http.Request, now time.Time) (st browserState, fresh bool) {
	if c, err := r.Cookie(cc.name); err == nil {
		if payload, sig, ok := strings.Cut(c.Value, "."); ok {
			want := cc.sign("state", payload)
			got, err1 := base64.RawURLEncoding.DecodeString(sig)
			raw, err2 := base64.RawURLEncoding.DecodeString(payload)
			if err1 == nil && err2 == nil && hmac.Equal(got, want) && json.Unmarshal(raw, &st) == nil && st.BrowserID != "" {
				if st.SubjectExpiry != 0 && now.Unix() >= st.SubjectExpiry {
					st.Subject, st.SubjectExpiry, st.Identity = "", 0, ""
				}
				return st, false
			}
		}
	}
	return browserState{BrowserID: oauth.NewSecret()}, true
}

func (cc *cookieCodec) write(w http.ResponseWriter, st browserState) {
	raw, _ := json.Marshal(st) // plain strings and ints: cannot fail
	payload := base64.RawURLEncoding.EncodeToString(raw)
	value := payload + "." + base64.RawURLEncoding.EncodeToString(cc.sign("state", payload))
	maxAge := cc.ttl
	if maxAge < time.Hour {
		maxAge = time.Hour // the browser id must outlive any flow
	}
	http.SetCookie(w, &http.Cookie{
		Name:     cc.name,
		Value:    value,
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		Secure:   cc.secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// csrfToken ties the consent form to the pending request and the browser.
func (cc *cookieCodec) csrfToken(requestID, browserID string) string {
	return base64.RawURLEncoding.EncodeToString(cc.sign("csrf", requestID, browserID))
}

func (cc *cookieCodec) checkCSRF(token, requestID, browserID string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && hmac.Equal(got, cc.sign("csrf", requestID, browserID))
}

// sealIdentity encrypts id for the cookie, or returns "" when it is too
// large to keep there.
func (cc *cookieCodec) sealIdentity(id *store.Identity, authTime time.Time) string {
	raw, err := json.Marshal(sealedIdentity{Identity: *id, AuthTime: authTime.Unix()})
	if err != nil {
		return ""
	}
	aead := cc.identityAEAD()
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return ""
	}
	sealed := base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, raw, []byte(id.Subject)))
	if len(sealed) > maxSealedIdentity {
		return ""
	}
	return sealed
}

// sealedIdentity is what the cookie keeps of the session's sign-in.
type sealedIdentity struct {
	store.Identity
	AuthTime int64 `json:"auth_time"`
}

// openIdentity decrypts the identity of st, if it holds one for its
// subject, and when the user signed in.
func (cc *cookieCodec) openIdentity(st browserState) (*store.Identity, time.Time) {
	if st.Identity == "" || st.Subject == "" {
		return nil, time.Time{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(st.Identity)
	aead := cc.identityAEAD()
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, time.Time{}
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(st.Subject))
	if err != nil {
		return nil, time.Time{}
	}
	var sealed sealedIdentity
	if json.Unmarshal(plain, &sealed) != nil || sealed.Subject != st.Subject {
		return nil, time.Time{}
	}
	return &sealed.Identity, time.Unix(sealed.AuthTime, 0)
}

func (cc *cookieCodec) identityAEAD() cipher.AEAD {
	block, _ := aes.NewCipher(cc.sign("identity key")) // 32 bytes: AES-256, cannot fail
	aead, _ := cipher.NewGCM(block)
	return aead
}
