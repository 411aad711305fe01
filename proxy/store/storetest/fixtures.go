package storetest

import (
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// t0 is millisecond-aligned so that records compare exactly on every backend.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// Expiries are relative to the real clock, which stores compare with. They
// are fixed once, a day away so that no test run outlives them, so that two
// fixtures built a millisecond apart still compare equal.
var (
	future = time.Now().UTC().Add(24 * time.Hour).Truncate(time.Millisecond)
	past   = time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Millisecond)
)

func identity(user string) store.Identity {
	return store.Identity{
		Subject:       "https://idp.example.com#" + user,
		Email:         user + "@example.com",
		EmailVerified: true,
		Name:          "Zoë " + user,
		Groups:        []string{"admins", "dev ops", "ünïcode\"quoted\""},
		IdP:           "corp",
	}
}

func client(id string) store.Client {
	return store.Client{
		ID:                      id,
		SecretHash:              "secret-hash-" + id,
		Name:                    "Client " + id,
		RedirectURIs:            []string{"https://app.example.com/cb", "http://127.0.0.1/cb"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		TokenEndpointAuthMethod: "client_secret_basic",
		ApplicationType:         "web",
		Scope:                   "openid mcp:tools",
		ClientURI:               "https://app.example.com",
		LogoURI:                 "https://app.example.com/logo.png",
		Source:                  "dcr",
		CreatedAt:               t0,
		ExpiresAt:               future,
	}
}

func authRequest(id string) store.AuthRequest {
	ident := identity("alice")
	return store.AuthRequest{
		ID:                  id,
		ClientID:            "client-1",
		RedirectURI:         "https://app.example.com/cb",
		State:               "state-" + id,
		Scopes:              []string{"openid", "mcp:tools"},
		Resource:            "https://mcp.example.com/mcp",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		BrowserHash:         "browser-hash-" + id,
		ConsentGiven:        true,
		UpstreamStateHash:   "upstream-state-hash-" + id,
		UpstreamNonce:       "nonce-" + id,
		UpstreamVerifier:    "verifier-" + id,
		Upstream:            "corp",
		Identity:            &ident,
		CreatedAt:           t0,
		ExpiresAt:           future,
	}
}

func authCode(hash string) store.AuthCode {
	return store.AuthCode{
		Hash:                hash,
		ClientID:            "client-1",
		RedirectURI:         "https://app.example.com/cb",
		Scopes:              []string{"openid", "mcp:tools"},
		Resource:            "https://mcp.example.com/mcp",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Identity:            identity("bob"),
		AuthTime:            t0.Add(-time.Minute),
		CreatedAt:           t0,
		ExpiresAt:           future,
	}
}

func refreshToken(hash, family string) store.RefreshToken {
	return store.RefreshToken{
		Hash:            hash,
		FamilyID:        family,
		ClientID:        "client-1",
		Scopes:          []string{"openid", "mcp:tools"},
		Resource:        "https://mcp.example.com/mcp",
		Identity:        identity("carol"),
		AuthTime:        t0.Add(-time.Minute),
		FamilyExpiresAt: t0.Add(30 * 24 * time.Hour),
		DPoPJKT:         "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
		CreatedAt:       t0,
		ExpiresAt:       future,
	}
}

func consent(subject, clientID string) store.Consent {
	return store.Consent{
		Subject:   subject,
		ClientID:  clientID,
		Scopes:    []string{"openid", "mcp:tools"},
		Resources: []string{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp/files"},
		CreatedAt: t0,
		ExpiresAt: future,
	}
}

// revocation is revoked now-ish (t0 is in the past) and kept until exp.
func revocation(family string, exp time.Time) store.Revocation {
	return store.Revocation{FamilyID: family, RevokedAt: time.Now().UTC().Truncate(time.Millisecond), ExpiresAt: exp}
}

func signingKey(id string, created time.Time) store.SigningKey {
	return store.SigningKey{
		ID:         id,
		Algorithm:  "ES256",
		PrivateKey: []byte{0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0xff, 0x00, 0x7f, byte(len(id))},
		PublicKey:  []byte{0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x00, 0xfe, byte(len(id))},
		CreatedAt:  created,
		ActiveAt:   created.Add(time.Hour),
	}
}
