package authserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/signer"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
	"github.com/mcpgate/mcpgate/upstream"
)

const issuer = "https://mcp.example.com"

// noUpstream: machine clients never sign in upstream.
type noUpstream struct{}

func (noUpstream) AuthCodeURL(upstream.LoginParams) string { return "" }
func (noUpstream) Exchange(context.Context, upstream.Callback, upstream.LoginParams) (upstream.Identity, error) {
	return upstream.Identity{}, errors.New("not used")
}

func newMachineServer(t *testing.T, accounts ...authserver.ServiceAccount) (*authserver.Server, *signer.Manager) {
	t.Helper()
	st := memory.New()
	keys, err := signer.New(context.Background(), st, signer.Options{TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s, err := authserver.New(authserver.Config{
		Issuer: issuer, Resource: issuer + "/mcp", Scopes: []string{"mcp"},
		AccessTokenTTL: time.Hour, RefreshTokenTTL: time.Hour, CodeTTL: time.Minute, RefreshGrace: time.Second,
		ServiceAccounts: accounts,
	}, authserver.Deps{Store: st, Signer: keys, IdPs: []authserver.IdP{{Provider: noUpstream{}}}})
	if err != nil {
		t.Fatal(err)
	}
	return s, keys
}

func assertion(t *testing.T, key *ecdsa.PrivateKey, kid string, claims jwt.Claims) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestClientCredentials: a service account authenticating with each method
// gets a token naming it, with its groups; every bad credential fails with
// invalid_client.
func TestClientCredentials(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	account := authserver.ServiceAccount{
		ID: "ci-bot", Name: "CI", SecretHash: oauth.Hash("bot-secret"), Groups: []string{"ci", "deployers"},
		Keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}},
	}
	s, keys := newMachineServer(t, account)
	ctx := context.Background()
	now := time.Now()
	valid := func(edit func(*jwt.Claims)) string {
		c := jwt.Claims{Issuer: "ci-bot", Subject: "ci-bot", Audience: jwt.Audience{issuer + "/token"},
			Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: oauth.NewID()}
		if edit != nil {
			edit(&c)
		}
		return assertion(t, key, "k1", c)
	}
	replayed := valid(nil)

	tests := []struct {
		name      string
		cred      authserver.ClientCredentials
		wantError string
	}{
		{name: "client_secret_basic", cred: authserver.ClientCredentials{ID: "ci-bot", Secret: "bot-secret", Method: oauth.AuthSecretBasic}},
		{name: "client_secret_post", cred: authserver.ClientCredentials{ID: "ci-bot", Secret: "bot-secret", Method: oauth.AuthSecretPost}},
		{name: "private_key_jwt", cred: authserver.ClientCredentials{ID: "ci-bot", Assertion: replayed, Method: oauth.AuthPrivateKeyJWT}},
		{name: "private_key_jwt with the issuer as audience", cred: authserver.ClientCredentials{ID: "ci-bot", Method: oauth.AuthPrivateKeyJWT,
			Assertion: valid(func(c *jwt.Claims) { c.Audience = jwt.Audience{issuer} })}},
		{name: "wrong secret", cred: authserver.ClientCredentials{ID: "ci-bot", Secret: "guess", Method: oauth.AuthSecretBasic}, wantError: "invalid_client"},
		{name: "no secret", cred: authserver.ClientCredentials{ID: "ci-bot", Method: oauth.AuthNone}, wantError: "invalid_client"},
		{name: "replayed assertion", cred: authserver.ClientCredentials{ID: "ci-bot", Assertion: replayed, Method: oauth.AuthPrivateKeyJWT}, wantError: "invalid_client"},
		{name: "expired assertion", cred: authserver.ClientCredentials{ID: "ci-bot", Method: oauth.AuthPrivateKeyJWT,
			Assertion: valid(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Minute)) })}, wantError: "invalid_client"},
		{name: "assertion for another audience", cred: authserver.ClientCredentials{ID: "ci-bot", Method: oauth.AuthPrivateKeyJWT,
			Assertion: valid(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://other.example.com/token"} })}, wantError: "invalid_client"},
		{name: "assertion without jti", cred: authserver.ClientCredentials{ID: "ci-bot", Method: oauth.AuthPrivateKeyJWT,
			Assertion: valid(func(c *jwt.Claims) { c.ID = "" })}, wantError: "invalid_client"},
		{name: "assertion living too long", cred: authserver.ClientCredentials{ID: "ci-bot", Method: oauth.AuthPrivateKeyJWT,
			Assertion: valid(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(time.Hour)) })}, wantError: "invalid_client"},
		{name: "assertion by another account", cred: authserver.ClientCredentials{ID: "ci-bot", Method: oauth.AuthPrivateKeyJWT,
			Assertion: valid(func(c *jwt.Claims) { c.Issuer, c.Subject = "other", "other" })}, wantError: "invalid_client"},
		{name: "assertion signed by another key", cred: authserver.ClientCredentials{ID: "ci-bot", Method: oauth.AuthPrivateKeyJWT,
			Assertion: assertion(t, otherKey, "k1", jwt.Claims{Issuer: "ci-bot", Subject: "ci-bot", Audience: jwt.Audience{issuer + "/token"},
				Expiry: jwt.NewNumericDate(now.Add(time.Minute)), ID: "x"})}, wantError: "invalid_client"},
		{name: "unknown client", cred: authserver.ClientCredentials{ID: "nobody", Secret: "x", Method: oauth.AuthSecretBasic}, wantError: "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := s.AuthenticateClient(ctx, tt.cred)
			if tt.wantError != "" {
				var oe *oauth.Error
				if !errors.As(err, &oe) || oe.Code != tt.wantError || oe.HTTPStatus() != 401 {
					t.Fatalf("got %v, want %s (401)", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatalf("authenticate: %v", err)
			}
			resp, err := s.Token(ctx, client, authserver.TokenRequest{GrantType: oauth.GrantClientCredentials})
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if resp.RefreshToken != "" {
				t.Error("client_credentials issued a refresh token")
			}
			payload, err := keys.Verify(resp.AccessToken, oauth.AccessTokenType)
			if err != nil {
				t.Fatal(err)
			}
			var c oauth.AccessClaims
			json.Unmarshal(payload, &c)
			if c.Subject != "ci-bot" || c.ClientID != "ci-bot" || c.Audience != issuer+"/mcp" || len(c.Groups) != 2 || c.Groups[1] != "deployers" {
				t.Errorf("claims: got sub=%q client_id=%q aud=%q groups=%v", c.Subject, c.ClientID, c.Audience, c.Groups)
			}
		})
	}

	t.Run("service account cannot use other grants", func(t *testing.T) {
		client, err := s.AuthenticateClient(ctx, authserver.ClientCredentials{ID: "ci-bot", Secret: "bot-secret", Method: oauth.AuthSecretBasic})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Token(ctx, client, authserver.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: "x"})
		var oe *oauth.Error
		if !errors.As(err, &oe) || oe.Code != oauth.ErrUnauthorizedClient {
			t.Fatalf("got %v, want unauthorized_client", err)
		}
	})
	t.Run("scope beyond the account's", func(t *testing.T) {
		client, _ := s.AuthenticateClient(ctx, authserver.ClientCredentials{ID: "ci-bot", Secret: "bot-secret", Method: oauth.AuthSecretBasic})
		_, err := s.Token(ctx, client, authserver.TokenRequest{GrantType: oauth.GrantClientCredentials, Scope: "admin"})
		var oe *oauth.Error
		if !errors.As(err, &oe) || oe.Code != oauth.ErrInvalidScope {
			t.Fatalf("got %v, want invalid_scope", err)
		}
	})
}

// TestAssertionAlgorithms: an RS512 key (one configuration accepts) works,
// and HS256 signed with anything is refused before any key is tried.
func TestAssertionAlgorithms(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newMachineServer(t, authserver.ServiceAccount{ID: "rsa-bot",
		Keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &rsaKey.PublicKey, KeyID: "r1", Algorithm: "RS512", Use: "sig"}}}})
	now := time.Now()
	claims := jwt.Claims{Issuer: "rsa-bot", Subject: "rsa-bot", Audience: jwt.Audience{issuer + "/token"},
		Expiry: jwt.NewNumericDate(now.Add(time.Minute)), ID: oauth.NewID()}
	sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS512, Key: rsaKey}, (&jose.SignerOptions{}).WithHeader("kid", "r1"))
	tok, _ := jwt.Signed(sig).Claims(claims).Serialize()
	if _, err := s.AuthenticateClient(context.Background(), authserver.ClientCredentials{ID: "rsa-bot", Assertion: tok, Method: oauth.AuthPrivateKeyJWT}); err != nil {
		t.Fatalf("RS512 assertion: %v", err)
	}
	hmac, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	claims.ID = oauth.NewID()
	forged, _ := jwt.Signed(hmac).Claims(claims).Serialize()
	if _, err := s.AuthenticateClient(context.Background(), authserver.ClientCredentials{ID: "rsa-bot", Assertion: forged, Method: oauth.AuthPrivateKeyJWT}); err == nil {
		t.Fatal("an HS256 assertion was accepted")
	}
}
