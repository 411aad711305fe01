package principal

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// payloadKeys "verifies" a token by looking it up: the signature checks
// belong to the signer's tests; these are about the claims.
type payloadKeys map[string]oauth.AccessClaims

func (k payloadKeys) Verify(token, typ string) ([]byte, error) {
	c, ok := k[token]
	if !ok || typ != oauth.AccessTokenType {
		return nil, errors.New("bad signature")
	}
	return json.Marshal(c)
}

func TestJWTVerifier(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	good := oauth.AccessClaims{
		Issuer: "https://mcp.example.com", Subject: "https://idp#alice", Audience: "https://mcp.example.com/mcp",
		ClientID: "c1", Scope: "mcp mcp:write", Expiry: now.Add(time.Hour).Unix(), SessionID: "fam-1",
		Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"eng"},
	}
	edit := func(f func(*oauth.AccessClaims)) oauth.AccessClaims { c := good; f(&c); return c }
	keys := payloadKeys{
		"good":                            good,
		"issuer":                          edit(func(c *oauth.AccessClaims) { c.Issuer = "https://evil.example.com" }),
		"audience":                        edit(func(c *oauth.AccessClaims) { c.Audience = "https://mcp.example.com/other" }),
		"expired":                         edit(func(c *oauth.AccessClaims) { c.Expiry = now.Unix() }),
		"no expiry":                       edit(func(c *oauth.AccessClaims) { c.Expiry = 0 }),
		"not yet valid":                   edit(func(c *oauth.AccessClaims) { c.NotBefore = now.Add(2 * time.Minute).Unix() }),
		"nbf within the replicas' leeway": edit(func(c *oauth.AccessClaims) { c.NotBefore = now.Add(30 * time.Second).Unix() }),
		"nbf past":                        edit(func(c *oauth.AccessClaims) { c.NotBefore = now.Add(-time.Hour).Unix() }),
		"no subject":                      edit(func(c *oauth.AccessClaims) { c.Subject = "" }),
		"no client":                       edit(func(c *oauth.AccessClaims) { c.ClientID = "" }),
	}
	v := &JWTVerifier{Keys: keys, Issuer: "https://mcp.example.com", Resources: []string{"https://mcp.example.com/mcp"}}
	tests := []struct {
		token, wantRefusal string
	}{
		{"good", ""},
		{"unsigned", "not valid"},
		{"issuer", "another server"},
		{"audience", "another resource"},
		{"expired", "expired"},
		{"no expiry", "expired"},
		{"not yet valid", "not valid yet"},
		{"nbf within the replicas' leeway", ""},
		{"nbf past", ""},
		{"no subject", "not valid"},
		{"no client", "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.token, now)
			if tt.wantRefusal != "" {
				var r *Refusal
				if !errors.As(err, &r) || !strings.Contains(r.Description, tt.wantRefusal) {
					t.Fatalf("got %v, want a refusal saying %q", err, tt.wantRefusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Principal{Subject: good.Subject, Email: good.Email, EmailVerified: true, Name: "Alice", Groups: []string{"eng"},
				ClientID: "c1", Scopes: []string{"mcp", "mcp:write"}, Audience: good.Audience, Kind: KindAccessToken,
				GrantID: "fam-1", Expiry: now.Add(time.Hour)}
			if p.Subject != want.Subject || p.GrantID != want.GrantID || !p.Expiry.Equal(want.Expiry) || p.Kind != want.Kind ||
				!p.HasScope("mcp:write") || p.HasScope("admin") || len(p.Groups) != 1 || !p.EmailVerified {
				t.Errorf("got %+v, want %+v", *p, want)
			}
		})
	}
}
