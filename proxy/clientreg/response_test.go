package clientreg

import (
	"encoding/json"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

func TestResponseJSON(t *testing.T) {
	issued := time.Unix(1785240000, 0)
	confidential := store.Client{
		ID:                      "c1",
		SecretHash:              "hash",
		Name:                    "Claude",
		RedirectURIs:            []string{"https://claude.ai/api/mcp/auth_callback"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		TokenEndpointAuthMethod: "client_secret_basic",
		ApplicationType:         "web",
		Scope:                   "mcp:read",
		ClientURI:               "https://claude.ai",
		LogoURI:                 "https://claude.ai/logo.png",
		Source:                  oauth.SourceDCR,
	}
	public := store.Client{
		ID:                      "c2",
		RedirectURIs:            []string{"http://localhost:1/cb"},
		GrantTypes:              []string{"authorization_code"},
		ResponseTypes:           []string{"code"},
		TokenEndpointAuthMethod: "none",
		ApplicationType:         "native",
	}
	expiring := confidential
	expiring.ExpiresAt = issued.Add(24 * time.Hour)
	confidentialWant := map[string]any{
		"client_id":                  "c1",
		"client_secret":              "s3cret",
		"client_id_issued_at":        float64(1785240000),
		"client_secret_expires_at":   float64(0),
		"redirect_uris":              []any{"https://claude.ai/api/mcp/auth_callback"},
		"token_endpoint_auth_method": "client_secret_basic",
		"grant_types":                []any{"authorization_code", "refresh_token"},
		"response_types":             []any{"code"},
		"application_type":           "web",
		"client_name":                "Claude",
		"client_uri":                 "https://claude.ai",
		"logo_uri":                   "https://claude.ai/logo.png",
		"scope":                      "mcp:read",
	}

	tests := []struct {
		name   string
		client store.Client
		secret string
		want   map[string]any
	}{
		{
			name:   "confidential client",
			client: confidential,
			secret: "s3cret",
			want:   confidentialWant,
		},
		{
			name:   "public client has no secret fields",
			client: public,
			want: map[string]any{
				"client_id":                  "c2",
				"client_id_issued_at":        float64(1785240000),
				"redirect_uris":              []any{"http://localhost:1/cb"},
				"token_endpoint_auth_method": "none",
				"grant_types":                []any{"authorization_code"},
				"response_types":             []any{"code"},
				"application_type":           "native",
			},
		},
		{
			name:   "expiring client reports secret expiry",
			client: expiring,
			secret: "s3cret",
			want: with(confidentialWant, map[string]any{
				"client_secret_expires_at": float64(1785240000 + 86400),
			}),
		},
		{
			name:   "no redirect URIs encodes an empty array",
			client: store.Client{ID: "c3"},
			want: map[string]any{
				"client_id":           "c3",
				"client_id_issued_at": float64(1785240000),
				"redirect_uris":       []any{},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(ResponseJSON(tc.client, tc.secret, issued))
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("response: got %s, want %v", b, tc.want)
			}
		})
	}
}

// with returns a copy of base with the entries of override set.
func with(base, override map[string]any) map[string]any {
	m := maps.Clone(base)
	maps.Copy(m, override)
	return m
}

// TestRegistrationRoundTrip runs the path the /register handler takes.
func TestRegistrationRoundTrip(t *testing.T) {
	body := `{"redirect_uris":["cursor://anysphere.cursor-mcp/oauth/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"Cursor"}`
	m, e := ParseRegistration([]byte(body), Options{SupportedAuthMethods: []string{oauth.AuthNone, oauth.AuthSecretBasic}})
	if e != nil {
		t.Fatalf("ParseRegistration error = %v, want nil", e)
	}
	now := time.Unix(1785240000, 0)
	r := ResponseJSON(m.Client("id", "", now), "", now)
	if r.ClientSecret != "" || r.ClientSecretExpiresAt != nil {
		t.Fatalf("public client secret: got %q / %v, want none", r.ClientSecret, r.ClientSecretExpiresAt)
	}
	if got, want := r.ApplicationType, ApplicationTypeNative; got != want {
		t.Fatalf("application_type: got %q, want %q", got, want)
	}
	if got, ok := MatchRedirectURI(r.RedirectURIs, "cursor://anysphere.cursor-mcp/oauth/callback"); !ok {
		t.Fatalf("MatchRedirectURI: got %q, %v, want a match", got, ok)
	}
}
