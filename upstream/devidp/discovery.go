package devidp

import (
	"encoding/json"
	"net/http"
)

// discoveryDoc is OpenID Connect Discovery 1.0 metadata. Every list states
// what the provider actually enforces, since clients (mcpgate's upstream
// package included) pick their behaviour from it.
type discoveryDoc struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	// RFC 9207: clients may then insist on iss in every response, which
	// defeats mix-up attacks.
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
	// Stated explicitly because the default for an absent
	// request_uri_parameter_supported is true.
	RequestParameterSupported    bool `json:"request_parameter_supported"`
	RequestURIParameterSupported bool `json:"request_uri_parameter_supported"`
}

func (p *Provider) discoveryDocument() ([]byte, error) {
	return json.Marshal(discoveryDoc{
		Issuer:                            p.issuer,
		AuthorizationEndpoint:             p.endpoint("/authorize"),
		TokenEndpoint:                     p.endpoint("/token"),
		JWKSURI:                           p.endpoint("/jwks"),
		UserinfoEndpoint:                  p.endpoint("/userinfo"),
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		GrantTypesSupported:               []string{"authorization_code"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{"ES256"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
		ScopesSupported:                   []string{"openid", "email", "profile", "groups"},
		ClaimsSupported: []string{
			"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"email", "email_verified", "name", "groups",
		},
		IssParameterSupported: true,
	})
}

func (p *Provider) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	// The document changes on restart (new endpoints if the port moves), and
	// a development tool restarts often.
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(p.discovery)
}
