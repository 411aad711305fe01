package preset

import (
	"context"
	"strings"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

// keycloak reads groups as Keycloak's group membership mapper writes
// them: with "Full group path" on (its default) a group is "/eng/backend",
// which becomes "eng/backend". With it off the claim holds the bare name
// ("backend"), and rules must name that.
func keycloak(ctx context.Context, s Settings) (upstream.Provider, error) {
	cfg := s.oidcConfig()
	cfg.Check = func(_ context.Context, in *oidc.SignIn) error {
		groups := in.Identity.Groups[:0]
		for _, g := range in.Identity.Groups {
			if g = strings.TrimPrefix(g, "/"); g != "" {
				groups = append(groups, g)
			}
		}
		in.Identity.Groups = groups
		return nil
	}
	return oidc.New(ctx, cfg)
}

// IsKeycloakIssuer reports whether issuer names a realm: Keycloak's
// issuers are …/realms/<realm> (…/auth/realms/<realm> before version 17).
func IsKeycloakIssuer(issuer string) bool {
	_, realm, ok := strings.Cut(issuer, "/realms/")
	return ok && realm != "" && !strings.Contains(strings.TrimSuffix(realm, "/"), "/")
}
