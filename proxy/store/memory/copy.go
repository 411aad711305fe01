package memory

import (
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// ms drops what the SQL backends cannot keep, so that tests against this
// store do not come to depend on sub-millisecond precision or time zones.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

func cloneIdentity(i store.Identity) store.Identity {
	i.Groups = slices.Clone(i.Groups)
	return i
}

func cloneClient(c store.Client) store.Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	c.CreatedAt = ms(c.CreatedAt)
	c.ExpiresAt = ms(c.ExpiresAt)
	return c
}

func cloneAuthRequest(r store.AuthRequest) store.AuthRequest {
	r.Scopes = slices.Clone(r.Scopes)
	if r.Identity != nil {
		ident := cloneIdentity(*r.Identity)
		r.Identity = &ident
	}
	r.CreatedAt = ms(r.CreatedAt)
	r.ExpiresAt = ms(r.ExpiresAt)
	return r
}

func cloneAuthCode(c store.AuthCode) store.AuthCode {
	c.Scopes = slices.Clone(c.Scopes)
	c.Identity = cloneIdentity(c.Identity)
	c.AuthTime = ms(c.AuthTime)
	c.CreatedAt = ms(c.CreatedAt)
	c.ExpiresAt = ms(c.ExpiresAt)
	return c
}

func cloneRefreshToken(t store.RefreshToken) store.RefreshToken {
	t.Scopes = slices.Clone(t.Scopes)
	t.Identity = cloneIdentity(t.Identity)
	t.AuthTime = ms(t.AuthTime)
	t.FamilyExpiresAt = ms(t.FamilyExpiresAt)
	t.RotatedAt = ms(t.RotatedAt)
	t.CreatedAt = ms(t.CreatedAt)
	t.ExpiresAt = ms(t.ExpiresAt)
	return t
}

func cloneConsent(c store.Consent) store.Consent {
	c.Scopes = slices.Clone(c.Scopes)
	c.Resources = slices.Clone(c.Resources)
	c.CreatedAt = ms(c.CreatedAt)
	c.ExpiresAt = ms(c.ExpiresAt)
	return c
}

func cloneSigningKey(k store.SigningKey) store.SigningKey {
	k.PrivateKey = slices.Clone(k.PrivateKey)
	k.PublicKey = slices.Clone(k.PublicKey)
	k.CreatedAt = ms(k.CreatedAt)
	k.ActiveAt = ms(k.ActiveAt)
	k.RetiredAt = ms(k.RetiredAt)
	k.ExpiresAt = ms(k.ExpiresAt)
	return k
}
