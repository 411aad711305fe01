package clientreg

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mcpgate/mcpgate/proxy/oauth"
)

func TestValidateMetadata(t *testing.T) {
	publicOnly := Options{SupportedAuthMethods: []string{oauth.AuthNone}}
	tests := []struct {
		name string
		in   Metadata
		opts Options
		// want is compared whole on success; wantCode non-empty expects an
		// error with that code.
		want     Metadata
		wantCode string
	}{
		{
			name: "defaults filled like ParseRegistration",
			in:   Metadata{RedirectURIs: []string{"https://app.example/cb", "https://app.example/cb"}},
			want: Metadata{
				RedirectURIs:            []string{"https://app.example/cb"},
				TokenEndpointAuthMethod: oauth.AuthSecretBasic,
				GrantTypes:              []string{oauth.GrantAuthorizationCode},
				ResponseTypes:           []string{oauth.ResponseTypeCode},
				ApplicationType:         ApplicationTypeWeb,
			},
		},
		{
			name: "caller's default auth method kept",
			in:   Metadata{RedirectURIs: []string{"http://localhost:3000/cb"}, TokenEndpointAuthMethod: oauth.AuthNone},
			opts: publicOnly,
			want: Metadata{
				RedirectURIs:            []string{"http://localhost:3000/cb"},
				TokenEndpointAuthMethod: oauth.AuthNone,
				GrantTypes:              []string{oauth.GrantAuthorizationCode},
				ResponseTypes:           []string{oauth.ResponseTypeCode},
				ApplicationType:         ApplicationTypeNative,
			},
		},
		{
			name:     "secret method refused by options",
			in:       Metadata{RedirectURIs: []string{"https://app.example/cb"}, TokenEndpointAuthMethod: oauth.AuthSecretBasic},
			opts:     publicOnly,
			wantCode: CodeInvalidClientMetadata,
		},
		{
			name:     "redirect URI rules apply",
			in:       Metadata{RedirectURIs: []string{"https://app.example/cb#frag"}},
			wantCode: CodeInvalidRedirectURI,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, e := ValidateMetadata(tt.in, tt.opts)
			if tt.wantCode != "" {
				if e == nil || e.Code != tt.wantCode {
					t.Fatalf("ValidateMetadata error = %v, want code %s", e, tt.wantCode)
				}
				return
			}
			if e != nil {
				t.Fatalf("ValidateMetadata error = %v, want nil", e)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ValidateMetadata = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestValidateMetadataMatchesParseRegistration pins the refactoring that
// made ParseRegistration a decode followed by ValidateMetadata.
func TestValidateMetadataMatchesParseRegistration(t *testing.T) {
	bodies := []string{
		`{"redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"client_name":"Claude"}`,
		`{"redirect_uris":["cursor://anysphere.cursor-mcp/oauth/callback"],"token_endpoint_auth_method":"none","scope":"a b a"}`,
		`{"redirect_uris":["cursor://x/cb"],"application_type":"web"}`,
		`{"redirect_uris":["https://x.example/cb"],"grant_types":["implicit"]}`,
	}
	for _, body := range bodies {
		var m Metadata
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("json.Unmarshal(%s): %v", body, err)
		}
		got, gotErr := ValidateMetadata(m, Options{})
		want, wantErr := ParseRegistration([]byte(body), Options{})
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("body %s: ValidateMetadata = %+v, %v; want ParseRegistration's %+v, %v", body, got, gotErr, want, wantErr)
		}
	}
}
