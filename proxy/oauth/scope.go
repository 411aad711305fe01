package oauth

import (
	"slices"
	"strings"
)

// ScopeOfflineAccess is advertised so that clients following SEP-2207 ask
// for it; mcpgate issues refresh tokens to MCP clients either way.
const ScopeOfflineAccess = "offline_access"

// ParseScope splits a space-delimited scope parameter, dropping duplicates.
func ParseScope(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// ValidScopeToken reports whether s is a scope-token of RFC 6749 §3.3.
func ValidScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != 0x21 && (r < 0x23 || r > 0x5B) && (r < 0x5D || r > 0x7E) {
			return false
		}
	}
	return true
}
