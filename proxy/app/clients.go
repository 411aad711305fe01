package app

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/cimd"
	"github.com/mcpgate/mcpgate/proxy/clientreg"
	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// bareHash turns config's "sha256:<hash>" into the form the store and the
// authorization server compare against.
func bareHash(v string) string { return strings.TrimPrefix(v, config.SecretHashPrefix) }

func staticClients(cfg *config.Config) []authserver.StaticClient {
	var out []authserver.StaticClient
	for _, c := range cfg.Clients {
		method := oauth.AuthNone
		if c.Confidential() {
			method = oauth.AuthSecretBasic
		}
		appType := clientreg.ApplicationTypeWeb
		native := true
		for _, u := range c.RedirectURIs {
			if strings.HasPrefix(u, "https://") {
				native = false
			}
		}
		if native {
			appType = clientreg.ApplicationTypeNative
		}
		out = append(out, authserver.StaticClient{
			Client: store.Client{
				ID:                      c.ID,
				SecretHash:              bareHash(c.SecretHashValue()),
				Name:                    c.Name,
				RedirectURIs:            c.RedirectURIs,
				GrantTypes:              []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken},
				ResponseTypes:           []string{"code"},
				TokenEndpointAuthMethod: method,
				ApplicationType:         appType,
				Scope:                   strings.Join(c.Scopes, " "),
				Source:                  oauth.SourceConfig,
			},
			Trusted: c.Trusted,
		})
	}
	return out
}

func serviceAccounts(cfg *config.Config) ([]authserver.ServiceAccount, error) {
	var out []authserver.ServiceAccount
	for _, a := range cfg.ServiceAccounts {
		sa := authserver.ServiceAccount{
			ID:         a.ID,
			Name:       a.Name,
			SecretHash: bareHash(a.SecretHashValue()),
			Groups:     a.Groups,
			Scopes:     a.Scopes,
			Email:      a.Email,
		}
		if a.JWKS != "" || a.JWKSFile != "" {
			keys, err := a.KeySet()
			if err != nil {
				return nil, fmt.Errorf("app: service account %s: %w", a.ID, err)
			}
			sa.Keys = keys
		}
		out = append(out, sa)
	}
	return out, nil
}

// metadataResolver adapts the CIMD resolver to the authorization server.
type metadataResolver struct{ *cimd.Resolver }

func (metadataResolver) IsClientID(id string) bool { return cimd.IsURLClientID(id) }

func clientMetadata(cfg *config.Config, log *slog.Logger) (authserver.MetadataResolver, error) {
	c := cfg.Registration.CIMD
	if !cfg.Registration.MetadataDocumentsAccepted() {
		if c.Enabled {
			log.Info("client metadata documents are off: registration is restricted and registration.cimd.allow_domains is empty")
		}
		return nil, nil
	}
	roots, err := c.CertPool()
	if err != nil {
		return nil, fmt.Errorf("app: cimd: %w", err)
	}
	r, err := cimd.New(cimd.Options{
		RootCAs:         roots,
		AllowedNetworks: c.AllowedPrefixes(),
		AllowDomains:    c.AllowDomains,
		DenyDomains:     c.DenyDomains,
		CacheMin:        c.CacheMin,
		CacheMax:        c.CacheMax,
		Logger:          log,
	})
	if err != nil {
		return nil, fmt.Errorf("app: cimd: %w", err)
	}
	return metadataResolver{r}, nil
}
