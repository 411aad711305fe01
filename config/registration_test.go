package config

import (
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"os"
	"slices"
	"testing"
)

func TestRedirectURIAllowed(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		uri      string
		want     bool
	}{
		{name: "no patterns allow everything", uri: "https://anything.example/cb", want: true},
		{name: "loopback any port", patterns: []string{"http://127.0.0.1:*/callback"}, uri: "http://127.0.0.1:53121/callback", want: true},
		{name: "loopback other path", patterns: []string{"http://127.0.0.1:*/callback"}, uri: "http://127.0.0.1:53121/other", want: false},
		{name: "loopback with query", patterns: []string{"http://127.0.0.1:*/callback"}, uri: "http://127.0.0.1:1/callback?x=1", want: false},
		{name: "loopback without port", patterns: []string{"http://127.0.0.1:*/callback"}, uri: "http://127.0.0.1/callback", want: false},
		{name: "subdomain", patterns: []string{"https://*.example.com/*"}, uri: "https://app.example.com/cb", want: true},
		{name: "subdomain of subdomain", patterns: []string{"https://*.example.com/*"}, uri: "https://a.b.example.com/cb", want: true},
		{name: "domain itself", patterns: []string{"https://*.example.com/*"}, uri: "https://example.com/cb", want: false},
		{name: "star does not cross /", patterns: []string{"https://*.example.com/*"}, uri: "https://app.example.com/a/b", want: false},
		{name: "wildcard host cannot reach into the query", patterns: []string{"https://*.example.com/*"}, uri: "https://evil.test?.example.com/cb", want: false},
		{name: "wildcard host cannot reach into the fragment", patterns: []string{"https://*.example.com/*"}, uri: "https://evil.test#.example.com/cb", want: false},
		{name: "look-alike host", patterns: []string{"https://*.example.com/*"}, uri: "https://app.example.com.evil.test/cb", want: false},
		{name: "other scheme", patterns: []string{"https://*.example.com/*"}, uri: "http://app.example.com/cb", want: false},
		{name: "question mark is one character", patterns: []string{"http://localhost:????/cb"}, uri: "http://localhost:8080/cb", want: true},
		{name: "character class", patterns: []string{"http://localhost:[0-9]*/cb"}, uri: "http://localhost:8080/cb", want: true},
		{name: "escaped star is literal", patterns: []string{`https://x.example.com/\*`}, uri: "https://x.example.com/cb", want: false},
		{name: "private-use scheme exact", patterns: []string{"cursor://anysphere.cursor-mcp/oauth/callback"}, uri: "cursor://anysphere.cursor-mcp/oauth/callback", want: true},
		{name: "no authority", patterns: []string{"com.example.*:/cb"}, uri: "com.example.app:/cb", want: true},
		{name: "no authority against an authority", patterns: []string{"com.example.app:*"}, uri: "com.example.app://x", want: false},
		{name: "case sensitive", patterns: []string{"https://app.example.com/cb"}, uri: "https://APP.example.com/cb", want: false},
		{name: "second pattern matches", patterns: []string{"https://a.example.com/cb", "http://localhost:*/cb"}, uri: "http://localhost:1234/cb", want: true},
		{name: "malformed pattern matches nothing", patterns: []string{"https://[.example.com/*"}, uri: "https://[.example.com/cb", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Registration{RedirectURIPatterns: tt.patterns}
			if got := r.RedirectURIAllowed(tt.uri); got != tt.want {
				t.Errorf("RedirectURIAllowed(%q) with %q: got %v, want %v", tt.uri, tt.patterns, got, tt.want)
			}
		})
	}
}

func TestAllowedPrefixes(t *testing.T) {
	c := CIMD{AllowedNetworks: []string{"10.1.2.3/16", "bogus", "fd00::/8"}}
	want := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00::/8")}
	if got := c.AllowedPrefixes(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestCertPool(t *testing.T) {
	pool, err := CIMD{}.CertPool()
	if pool != nil || err != nil {
		t.Errorf("no ca_file: got %v, %v, want nil, nil (system roots)", pool, err)
	}

	pool, err = CIMD{CAFile: "testdata/ca.pem"}.CertPool()
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	data, err := os.ReadFile("testdata/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
		t.Errorf("the ca_file certificate does not verify against the pool: %v", err)
	}

	broken := writeFile(t, "broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	if _, err := (CIMD{CAFile: broken}).CertPool(); err == nil {
		t.Error("unparsable certificate: got nil error, want one")
	}
}

func TestSecretHelpers(t *testing.T) {
	if got := HashSecret("deploy-bot-secret"); got != deployBotHash {
		t.Errorf("HashSecret: got %q, want %q", got, deployBotHash)
	}
	if !validSecretHash(HashSecret("x")) {
		t.Error("HashSecret's output does not pass validation")
	}
	tests := []struct {
		name             string
		client           Client
		wantHash         string
		wantConfidential bool
	}{
		{name: "public", client: Client{ID: "a"}},
		{name: "secret", client: Client{Secret: "deploy-bot-secret"}, wantHash: deployBotHash, wantConfidential: true},
		{name: "secret_hash", client: Client{SecretHash: deployBotHash}, wantHash: deployBotHash, wantConfidential: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.client.SecretHashValue(); got != tt.wantHash {
				t.Errorf("SecretHashValue: got %q, want %q", got, tt.wantHash)
			}
			if got := tt.client.Confidential(); got != tt.wantConfidential {
				t.Errorf("Confidential: got %v, want %v", got, tt.wantConfidential)
			}
			sa := ServiceAccount{Secret: tt.client.Secret, SecretHash: tt.client.SecretHash}
			if got := sa.SecretHashValue(); got != tt.wantHash {
				t.Errorf("ServiceAccount.SecretHashValue: got %q, want %q", got, tt.wantHash)
			}
		})
	}
}

func TestKeySet(t *testing.T) {
	tests := []struct {
		name     string
		sa       ServiceAccount
		wantKids []string
		wantErr  bool
	}{
		{name: "none", sa: ServiceAccount{Secret: "s"}},
		{name: "inline", sa: ServiceAccount{JWKS: jwksMixed}, wantKids: []string{"e", "ed-1"}},
		{name: "file", sa: ServiceAccount{JWKSFile: "testdata/ci_jwks.json"}, wantKids: []string{"ci-1"}},
		{name: "both", sa: ServiceAccount{JWKS: jwksEC, JWKSFile: "testdata/ci_jwks.json"}, wantErr: true},
		{name: "private", sa: ServiceAccount{JWKS: jwksECPriv}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := tt.sa.KeySet()
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			var kids []string
			for _, k := range set.Keys {
				if !k.IsPublic() {
					t.Errorf("key %q is not public", k.KeyID)
				}
				kids = append(kids, k.KeyID)
			}
			if !slices.Equal(kids, tt.wantKids) {
				t.Errorf("got kids %q, want %q", kids, tt.wantKids)
			}
		})
	}
}

func TestMetadataDocumentsAccepted(t *testing.T) {
	tests := []struct {
		name string
		r    Registration
		want bool
	}{
		{name: "open", r: Registration{DynamicEnabled: true, CIMD: CIMD{Enabled: true}}, want: true},
		{name: "cimd off", r: Registration{DynamicEnabled: true}},
		{name: "dynamic off", r: Registration{CIMD: CIMD{Enabled: true}}},
		{name: "initial access token", r: Registration{DynamicEnabled: true, InitialAccessToken: "t", CIMD: CIMD{Enabled: true}}},
		{name: "dynamic off, hosts listed", r: Registration{CIMD: CIMD{Enabled: true, AllowDomains: []string{"claude.ai"}}}, want: true},
		{name: "token, hosts listed", r: Registration{DynamicEnabled: true, InitialAccessToken: "t", CIMD: CIMD{Enabled: true, AllowDomains: []string{"*.example.com"}}}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.MetadataDocumentsAccepted(); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
