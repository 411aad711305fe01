package oidc

import (
	"encoding/json"

	"github.com/mcpgate/mcpgate/upstream"
)

type rawClaim = json.RawMessage

func rawClaims(decode func(any) error) (map[string]rawClaim, error) {
	m := map[string]rawClaim{}
	if err := decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// identity maps claims leniently: a claim of an unexpected type is treated
// as absent rather than failing the sign-in, since only sub is required.
func identity(subject string, claims map[string]rawClaim, groupsClaim string) upstream.Identity {
	return upstream.Identity{
		Subject:       subject,
		Email:         str(claims["email"]),
		EmailVerified: boolish(claims["email_verified"]),
		Name:          str(claims["name"]),
		Groups:        strs(claims[groupsClaim]),
	}
}

func str(raw rawClaim) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// boolish accepts the string "true" because some IdPs (Cognito, older
// ADFS) send email_verified as a string.
func boolish(raw rawClaim) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	return str(raw) == "true"
}

// strs accepts a single string too: IdPs emit a one-element claim that way
// (Keycloak's multivalued mapper off, ADFS).
func strs(raw rawClaim) []string {
	if s := str(raw); s != "" {
		return []string{s}
	}
	var vals []any
	if json.Unmarshal(raw, &vals) != nil {
		return nil
	}
	var out []string
	for _, v := range vals {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}
