package preset

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

// GoogleIssuer is Google's OpenID Connect issuer.
const GoogleIssuer = "https://accounts.google.com"

// google checks the hosted domain in the ID token, not only in the
// request (the hd parameter is a hint for the account chooser; anyone can
// remove it from the URL), and takes only verified emails.
func google(ctx context.Context, s Settings) (upstream.Provider, error) {
	cfg := s.oidcConfig()
	if cfg.Issuer == "" {
		cfg.Issuer = GoogleIssuer
	}
	domains := make([]string, len(s.HostedDomains))
	for i, d := range s.HostedDomains {
		domains[i] = strings.ToLower(d)
	}
	if _, set := cfg.AuthParams["hd"]; !set && len(domains) > 0 {
		cfg.AuthParams = maps.Clone(cfg.AuthParams)
		if cfg.AuthParams == nil {
			cfg.AuthParams = map[string]string{}
		}
		cfg.AuthParams["hd"] = "*" // any Workspace account: the chooser hides personal ones
		if len(domains) == 1 {
			cfg.AuthParams["hd"] = domains[0]
		}
	}
	cfg.Check = func(_ context.Context, in *oidc.SignIn) error {
		id := in.Identity
		if !id.EmailVerified {
			return &upstream.Refusal{Subject: id.Subject, Email: id.Email, Reason: "Google has not verified the email address of this account."}
		}
		if len(domains) > 0 && !slices.Contains(domains, strings.ToLower(in.String("hd"))) {
			return &upstream.Refusal{Subject: id.Subject, Email: id.Email,
				Reason: "This Google account is not in one of the organization's Google Workspace domains (" + strings.Join(domains, ", ") + ")."}
		}
		return nil
	}
	return oidc.New(ctx, cfg)
}
