package config

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/proxy/clientreg"
)

// maxClientIDLen bounds configured client ids, which appear in URLs, logs
// and identity headers.
const maxClientIDLen = 200

// offlineAccess is the scope asking for a refresh token (OpenID Connect
// Core §11), which clients may hold besides the resource's scopes.
const offlineAccess = "offline_access"

// validateClients checks clients and service_accounts, ids being unique
// across both lists.
func (c *Config) validateClients(p *Problems) {
	owner := map[string]string{} // client id -> key of the item using it
	checkID := func(key, id string) {
		checkClientID(p, key+".id", id)
		if id == "" {
			return
		}
		if prev, dup := owner[id]; dup {
			p.add(key+".id", "%q is already the id of %s", id, prev)
			return
		}
		owner[id] = key
	}
	for i, cl := range c.Clients {
		key := fmt.Sprintf("clients[%d]", i)
		checkID(key, cl.ID)
		checkSecretPair(p, key, cl.Secret, cl.SecretHash)
		if len(cl.RedirectURIs) == 0 {
			p.add(key+".redirect_uris", "at least one redirect URI is required")
		}
		for j, u := range cl.RedirectURIs {
			k := fmt.Sprintf("%s.redirect_uris[%d]", key, j)
			if err := clientreg.ValidateRedirectURI(u, ""); err != nil {
				p.add(k, "%v", err)
			} else if prev := slices.Index(cl.RedirectURIs[:j], u); prev >= 0 {
				p.add(k, "duplicate of redirect_uris[%d]", prev)
			}
		}
		c.checkGrantable(p, key+".scopes", cl.Scopes, true)
	}
	for i, sa := range c.ServiceAccounts {
		key := fmt.Sprintf("service_accounts[%d]", i)
		checkID(key, sa.ID)
		sa.validate(p, key)
		// client_credentials issues no refresh token (RFC 6749 §4.4.3),
		// so offline_access would mean nothing.
		c.checkGrantable(p, key+".scopes", sa.Scopes, false)
	}
}

func (sa *ServiceAccount) validate(p *Problems, key string) {
	if sa.Secret == "" && sa.SecretHash == "" && sa.JWKS == "" && sa.JWKSFile == "" {
		p.add(key, "needs a credential: secret (or secret_file), secret_hash, jwks or jwks_file")
	}
	checkSecretPair(p, key, sa.Secret, sa.SecretHash)
	switch {
	case sa.JWKS != "" && sa.JWKSFile != "":
		p.add(key+".jwks_file", "set either jwks or jwks_file, not both")
	case sa.JWKS != "" || sa.JWKSFile != "":
		k := key + ".jwks"
		if sa.JWKSFile != "" {
			k += fileSuffix
		}
		if _, err := sa.KeySet(); err != nil {
			p.add(k, "%v", err)
		}
	}
	for j, g := range sa.Groups {
		k := fmt.Sprintf("%s.groups[%d]", key, j)
		switch {
		case strings.TrimSpace(g) == "":
			p.add(k, "must not be empty")
		case strings.Contains(g, ","):
			// Groups reach the backend as one comma-separated header.
			p.add(k, "must not contain a comma")
		}
	}
	if sa.Email != "" && !strings.Contains(sa.Email, "@") {
		p.add(key+".email", "%q is not an email address", sa.Email)
	}
}

// checkClientID: ids are compared and shown as they are, so they are kept
// to the RFC 3986 unreserved characters plus ':'. https URLs are Client ID
// Metadata Document ids, which configuration must not shadow.
func checkClientID(p *Problems, key, id string) {
	switch {
	case id == "":
		p.add(key, "required")
	case strings.HasPrefix(strings.ToLower(id), "https:"):
		p.add(key, "must not be an https URL: those are Client ID Metadata Document ids")
	case len(id) > maxClientIDLen:
		p.add(key, "must be at most %d characters, got %d", maxClientIDLen, len(id))
	case strings.ContainsFunc(id, func(r rune) bool { return !isClientIDChar(r) }):
		p.add(key, "%q may contain only letters, digits and ._~:-", id)
	}
}

func isClientIDChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("._~:-", r)
}

// checkSecretPair checks secret and secret_hash of the item at key. The
// secret itself is never echoed.
func checkSecretPair(p *Problems, key, secret, hash string) {
	if hash == "" {
		return
	}
	if secret != "" {
		p.add(key+".secret_hash", "set either secret (or secret_file) or secret_hash, not both")
		return
	}
	if !validSecretHash(hash) {
		p.add(key+".secret_hash", "want %s followed by the 43-character unpadded base64url SHA-256 of the secret", SecretHashPrefix)
	}
}

func validSecretHash(h string) bool {
	b64, ok := strings.CutPrefix(h, SecretHashPrefix)
	if !ok || len(b64) != 43 {
		return false
	}
	sum, err := base64.RawURLEncoding.Strict().DecodeString(b64)
	return err == nil && len(sum) == 32
}

// checkGrantable checks that scopes name only scopes mcpgate can grant:
// those of mcp.scopes, and offline_access when offline is true.
func (c *Config) checkGrantable(p *Problems, key string, scopes []string, offline bool) {
	for j, s := range scopes {
		k := fmt.Sprintf("%s[%d]", key, j)
		switch {
		case slices.Contains(c.MCP.Scopes, s) || (offline && s == offlineAccess):
		case offline:
			p.add(k, "%q is neither in mcp.scopes nor %s", s, offlineAccess)
		default:
			p.add(k, "%q is not in mcp.scopes", s)
		}
	}
}
