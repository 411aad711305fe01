package proxy

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/dpop"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// authServerMetadata serves RFC 8414 (also at the OIDC discovery path,
// which several MCP clients try first).
func (s *Server) authServerMetadata(c echo.Context) error {
	cfg := s.as.Config()
	md := map[string]any{
		"issuer":                                         s.issuer,
		"authorization_endpoint":                         s.issuer + "/authorize",
		"token_endpoint":                                 s.issuer + "/token",
		"revocation_endpoint":                            s.issuer + "/revoke",
		"jwks_uri":                                       s.issuer + "/jwks",
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken},
		"code_challenge_methods_supported":               []string{oauth.MethodS256},
		"token_endpoint_auth_methods_supported":          []string{oauth.AuthNone, oauth.AuthSecretBasic, oauth.AuthSecretPost},
		"revocation_endpoint_auth_methods_supported":     []string{oauth.AuthNone, oauth.AuthSecretBasic, oauth.AuthSecretPost},
		"scopes_supported":                               s.as.KnownScopes(),
		"authorization_response_iss_parameter_supported": true,
		"client_id_metadata_document_supported":          s.cimd,
		"resource_indicators_supported":                  true,
	}
	md["dpop_signing_alg_values_supported"] = dpop.AlgorithmNames()
	if cfg.DynamicRegistration {
		md["registration_endpoint"] = s.issuer + "/register"
	}
	grants := []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken}
	if s.machine {
		grants = append(grants, oauth.GrantClientCredentials)
	}
	if s.idJAG {
		grants = append(grants, oauth.GrantJWTBearer)
	}
	md["grant_types_supported"] = grants
	// Service accounts and metadata-document clients may prove themselves
	// with a key.
	if s.machine || s.cimd {
		md["token_endpoint_auth_methods_supported"] = []string{oauth.AuthNone, oauth.AuthSecretBasic, oauth.AuthSecretPost, oauth.AuthPrivateKeyJWT}
		algs := make([]string, len(authserver.AssertionAlgorithms))
		for i, a := range authserver.AssertionAlgorithms {
			algs[i] = string(a)
		}
		md["token_endpoint_auth_signing_alg_values_supported"] = algs
	}
	return metadataJSON(c, md)
}

// resourceMetadata serves RFC 9728 for an MCP endpoint.
func (s *Server) resourceMetadata(rt *Route) echo.HandlerFunc {
	name := "MCP server behind mcpgate"
	if rt.Name != "" {
		name = rt.Name + " (MCP server behind mcpgate)"
	}
	return func(c echo.Context) error {
		return metadataJSON(c, map[string]any{
			"resource":                 rt.Resource,
			"authorization_servers":    []string{s.issuer},
			"scopes_supported":         rt.Scopes,
			"bearer_methods_supported": []string{"header"},
			"resource_name":            name,
		})
	}
}

func metadataJSON(c echo.Context, v any) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=300")
	// Browser-based clients (MCP Inspector) read discovery cross-origin.
	h.Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, v)
}

func (s *Server) jwks(c echo.Context) error {
	set, err := s.keys.KeySet(c.Request().Context())
	if err != nil {
		return s.apiError(c, err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, set)
}
