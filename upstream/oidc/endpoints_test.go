package oidc

import (
	"strings"
	"testing"
)

// TestCheckEndpoints: the discovery document's URLs are where mcpgate
// sends its client secret, the user's browser and its key lookups; one
// that leaves https, carries credentials or is not a URL at all refuses
// the whole document, with every problem named.
func TestCheckEndpoints(t *testing.T) {
	good := discovery{
		AuthorizationEndpoint: "https://idp.example.com/authorize",
		TokenEndpoint:         "https://oauth2.idp-apis.example.net/token", // another host is normal (Google)
		JWKSURI:               "https://keys.example.net/jwks",
		UserinfoEndpoint:      "https://idp.example.com/userinfo",
	}
	tests := []struct {
		name   string
		issuer string
		change func(*discovery)
		want   []string // substrings of the error; none for a good document
	}{
		{name: "good", issuer: "https://idp.example.com", change: func(*discovery) {}},
		{name: "http issuer, http endpoints (dev, in-cluster)", issuer: "http://keycloak:8080/realms/corp", change: func(d *discovery) {
			d.TokenEndpoint = "http://keycloak:8080/realms/corp/token"
		}},
		{name: "token endpoint downgraded to http", issuer: "https://idp.example.com", change: func(d *discovery) {
			d.TokenEndpoint = "http://idp.example.com/token"
		}, want: []string{`token_endpoint "http://idp.example.com/token" must be https`}},
		{name: "JWKS over http", issuer: "https://idp.example.com", change: func(d *discovery) {
			d.JWKSURI = "http://169.254.169.254/latest/meta-data/"
		}, want: []string{"jwks_uri", "must be https"}},
		{name: "another scheme", issuer: "https://idp.example.com", change: func(d *discovery) {
			d.UserinfoEndpoint = "file:///etc/passwd"
		}, want: []string{"userinfo_endpoint", "not an absolute URL"}},
		{name: "credentials in the URL", issuer: "https://idp.example.com", change: func(d *discovery) {
			d.TokenEndpoint = "https://user:pass@idp.example.com/token"
		}, want: []string{"token_endpoint must not carry credentials"}},
		{name: "relative", issuer: "https://idp.example.com", change: func(d *discovery) {
			d.AuthorizationEndpoint = "/authorize"
		}, want: []string{"authorization_endpoint", "not an absolute URL"}},
		{name: "fragment", issuer: "https://idp.example.com", change: func(d *discovery) {
			d.EndSessionEndpoint = "https://idp.example.com/logout#x"
		}, want: []string{"end_session_endpoint must not have a fragment"}},
		{name: "missing required, every problem reported", issuer: "https://idp.example.com", change: func(d *discovery) {
			d.TokenEndpoint, d.JWKSURI = "", ""
			d.RevocationEndpoint = "http://idp.example.com/revoke"
		}, want: []string{"token_endpoint is missing", "jwks_uri is missing", "revocation_endpoint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good
			tt.change(&d)
			err := checkEndpoints(tt.issuer, d)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
