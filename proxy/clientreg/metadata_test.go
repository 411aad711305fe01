package clientreg

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
)

func TestParseRegistration(t *testing.T) {
	allScopes := Options{AllowedScopes: []string{"mcp:read", "mcp:write", "openid"}}
	strictScopes := Options{AllowedScopes: allScopes.AllowedScopes, StrictScopes: true}
	publicOnly := Options{SupportedAuthMethods: []string{oauth.AuthNone}}
	manyURIs := make([]string, MaxRedirectURIs+1)
	for i := range manyURIs {
		manyURIs[i] = fmt.Sprintf("%q", fmt.Sprintf("https://x.example/cb%d", i))
	}
	tooManyURIs := `{"redirect_uris":[` + strings.Join(manyURIs, ",") + `]}`
	maxURIs := `{"redirect_uris":[` + strings.Join(manyURIs[:MaxRedirectURIs], ",") + `]}`

	tests := []struct {
		name string
		body string
		opts Options
		// check inspects the metadata on success; nil skips it.
		check func(t *testing.T, m Metadata)
		// wantCode and wantDesc describe the expected error; empty wantCode
		// means success.
		wantCode string
		wantDesc string
	}{
		// Defaults and inference.
		{
			name: "minimal https client gets RFC defaults",
			body: `{"redirect_uris":["https://claude.ai/api/mcp/auth_callback"]}`,
			check: func(t *testing.T, m Metadata) {
				eq(t, "token_endpoint_auth_method", m.TokenEndpointAuthMethod, oauth.AuthSecretBasic)
				eq(t, "grant_types", m.GrantTypes, []string{oauth.GrantAuthorizationCode})
				eq(t, "response_types", m.ResponseTypes, []string{oauth.ResponseTypeCode})
				eq(t, "application_type", m.ApplicationType, ApplicationTypeWeb)
			},
		},
		{
			name: "Claude Code style public loopback client inferred native",
			body: `{"redirect_uris":["http://localhost:52123/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"Claude Code"}`,
			check: func(t *testing.T, m Metadata) {
				eq(t, "application_type", m.ApplicationType, ApplicationTypeNative)
				eq(t, "token_endpoint_auth_method", m.TokenEndpointAuthMethod, oauth.AuthNone)
				eq(t, "grant_types", m.GrantTypes, []string{"authorization_code", "refresh_token"})
				eq(t, "client_name", m.ClientName, "Claude Code")
				eq(t, "IsPublic", m.IsPublic(), true)
			},
		},
		{
			name:  "Cursor custom scheme inferred native",
			body:  `{"redirect_uris":["cursor://anysphere.cursor-mcp/oauth/callback"],"token_endpoint_auth_method":"none"}`,
			check: func(t *testing.T, m Metadata) { eq(t, "application_type", m.ApplicationType, ApplicationTypeNative) },
		},
		{
			name:  "loopback and custom scheme inferred native",
			body:  `{"redirect_uris":["http://127.0.0.1:33418/","vscode://vscode.github-authentication/did-authenticate"]}`,
			check: func(t *testing.T, m Metadata) { eq(t, "application_type", m.ApplicationType, ApplicationTypeNative) },
		},
		{
			name:  "https and loopback stays web",
			body:  `{"redirect_uris":["https://app.example/cb","http://localhost:3000/cb"]}`,
			check: func(t *testing.T, m Metadata) { eq(t, "application_type", m.ApplicationType, ApplicationTypeWeb) },
		},
		{
			name:  "explicit web with loopback kept web",
			body:  `{"redirect_uris":["http://localhost:6274/oauth/callback"],"application_type":"web"}`,
			check: func(t *testing.T, m Metadata) { eq(t, "application_type", m.ApplicationType, ApplicationTypeWeb) },
		},
		{
			name:  "explicit native with https",
			body:  `{"redirect_uris":["https://app.example/cb"],"application_type":"native"}`,
			check: func(t *testing.T, m Metadata) { eq(t, "application_type", m.ApplicationType, ApplicationTypeNative) },
		},
		{
			name: "empty arrays read as absent",
			body: `{"redirect_uris":["https://a.example/cb"],"grant_types":[],"response_types":[]}`,
			check: func(t *testing.T, m Metadata) {
				eq(t, "grant_types", m.GrantTypes, []string{oauth.GrantAuthorizationCode})
				eq(t, "response_types", m.ResponseTypes, []string{oauth.ResponseTypeCode})
			},
		},
		{
			name: "duplicates removed",
			body: `{"redirect_uris":["https://a.example/cb","https://a.example/cb"],"grant_types":["authorization_code","authorization_code"],"response_types":["code","code"],"scope":"mcp:read  mcp:read mcp:write"}`,
			opts: allScopes,
			check: func(t *testing.T, m Metadata) {
				eq(t, "redirect_uris", m.RedirectURIs, []string{"https://a.example/cb"})
				eq(t, "grant_types", m.GrantTypes, []string{oauth.GrantAuthorizationCode})
				eq(t, "response_types", m.ResponseTypes, []string{oauth.ResponseTypeCode})
				eq(t, "scope", m.Scope, "mcp:read mcp:write")
			},
		},
		{
			name: "all optional fields kept",
			body: `{"redirect_uris":["https://a.example/cb"],"client_name":"Ünïcode App 😀","client_uri":"https://a.example","logo_uri":"https://a.example/logo.png","tos_uri":"https://a.example/tos#top","policy_uri":"http://localhost:8080/policy","jwks_uri":"https://a.example/jwks.json","contacts":["ops@a.example"],"software_id":"a-app","software_version":"1.2.3","scope":"openid"}`,
			opts: allScopes,
			check: func(t *testing.T, m Metadata) {
				eq(t, "client_name", m.ClientName, "Ünïcode App 😀")
				eq(t, "client_uri", m.ClientURI, "https://a.example")
				eq(t, "logo_uri", m.LogoURI, "https://a.example/logo.png")
				eq(t, "tos_uri", m.TOSURI, "https://a.example/tos#top")
				eq(t, "policy_uri", m.PolicyURI, "http://localhost:8080/policy")
				eq(t, "contacts", m.Contacts, []string{"ops@a.example"})
				eq(t, "software_version", m.SoftwareVersion, "1.2.3")
			},
		},
		{
			name:  "unknown fields ignored, of any type",
			body:  `{"redirect_uris":["https://a.example/cb"],"jwks":{"keys":[]},"software_statement":"eyJ...","client_name#ja-Jpan-JP":"クライアント","x":[1,{"y":null}]}`,
			check: func(t *testing.T, m Metadata) { eq(t, "client_name", m.ClientName, "") },
		},
		{
			name:  "go-sdk jwks as string ignored",
			body:  `{"redirect_uris":["http://localhost:1/cb"],"jwks":"","application_type":"native"}`,
			check: func(t *testing.T, m Metadata) { eq(t, "application_type", m.ApplicationType, ApplicationTypeNative) },
		},
		{
			name: "null fields read as absent",
			body: `{"redirect_uris":["https://a.example/cb"],"client_name":null,"grant_types":null,"token_endpoint_auth_method":null}`,
			check: func(t *testing.T, m Metadata) {
				eq(t, "token_endpoint_auth_method", m.TokenEndpointAuthMethod, oauth.AuthSecretBasic)
			},
		},
		{
			name:  "any scope when none configured",
			body:  `{"redirect_uris":["https://a.example/cb"],"scope":"anything:goes x"}`,
			check: func(t *testing.T, m Metadata) { eq(t, "scope", m.Scope, "anything:goes x") },
		},
		{
			name:  "empty scope",
			body:  `{"redirect_uris":["https://a.example/cb"],"scope":""}`,
			opts:  allScopes,
			check: func(t *testing.T, m Metadata) { eq(t, "scope", m.Scope, "") },
		},
		{
			name:  "client_secret_post",
			body:  `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"client_secret_post"}`,
			check: func(t *testing.T, m Metadata) { eq(t, "IsPublic", m.IsPublic(), false) },
		},
		{
			name: "refresh_token grant",
			body: `{"redirect_uris":["https://a.example/cb"],"grant_types":["refresh_token","authorization_code"]}`,
			check: func(t *testing.T, m Metadata) {
				eq(t, "grant_types", m.GrantTypes, []string{"refresh_token", "authorization_code"})
			},
		},
		{name: "20 redirect URIs", body: maxURIs},
		{name: "leading whitespace", body: " \n{\"redirect_uris\":[\"https://a.example/cb\"]}\n"},
		{name: "client_name of 200 characters", body: `{"redirect_uris":["https://a.example/cb"],"client_name":"` + strings.Repeat("é", 200) + `"}`},

		// Body.
		{name: "empty body", body: ``, wantCode: CodeInvalidClientMetadata, wantDesc: "JSON object"},
		{name: "JSON null", body: `null`, wantCode: CodeInvalidClientMetadata, wantDesc: "JSON object"},
		{name: "JSON array", body: `[{"redirect_uris":["https://a.example/cb"]}]`, wantCode: CodeInvalidClientMetadata, wantDesc: "JSON object"},
		{name: "JSON string", body: `"x"`, wantCode: CodeInvalidClientMetadata, wantDesc: "JSON object"},
		{name: "invalid JSON", body: `{"redirect_uris":`, wantCode: CodeInvalidClientMetadata, wantDesc: "not valid JSON"},
		{name: "trailing data", body: `{"redirect_uris":["https://a.example/cb"]}{}`, wantCode: CodeInvalidClientMetadata, wantDesc: "after the JSON object"},
		{name: "too large", body: `{"redirect_uris":["https://a.example/cb"],"x":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "larger than 65536"},
		{name: "redirect_uris as string", body: `{"redirect_uris":"https://a.example/cb"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "redirect_uris: got a JSON string where an array of strings was expected"},
		{name: "client_name as number", body: `{"redirect_uris":["https://a.example/cb"],"client_name":5}`, wantCode: CodeInvalidClientMetadata, wantDesc: "client_name: got a JSON number where a string was expected"},
		{name: "redirect_uris entry as number", body: `{"redirect_uris":[5]}`, wantCode: CodeInvalidClientMetadata, wantDesc: "redirect_uris: got a JSON number where a string was expected"},

		// Redirect URIs.
		{name: "redirect_uris missing", body: `{"client_name":"x"}`, wantCode: CodeInvalidRedirectURI, wantDesc: "redirect_uris is required"},
		{name: "redirect_uris empty", body: `{"redirect_uris":[]}`, wantCode: CodeInvalidRedirectURI, wantDesc: "redirect_uris is required"},
		{name: "too many redirect URIs", body: tooManyURIs, wantCode: CodeInvalidRedirectURI, wantDesc: "at most 20"},
		{name: "redirect URI with fragment", body: `{"redirect_uris":["https://a.example/cb","https://a.example/cb#x"]}`, wantCode: CodeInvalidRedirectURI, wantDesc: `redirect_uris[1] "https://a.example/cb#x" must not contain a fragment`},
		{name: "redirect URI javascript", body: `{"redirect_uris":["javascript:alert(1)"]}`, wantCode: CodeInvalidRedirectURI, wantDesc: `redirect_uris[0] "javascript:alert(1)" uses the forbidden scheme "javascript"`},
		{name: "redirect URI http remote", body: `{"redirect_uris":["http://a.example/cb"]}`, wantCode: CodeInvalidRedirectURI, wantDesc: "only allowed for loopback"},
		{name: "redirect URI null entry", body: `{"redirect_uris":[null]}`, wantCode: CodeInvalidRedirectURI, wantDesc: "is empty"},
		{name: "redirect URI long is truncated in message", body: `{"redirect_uris":["http://a.example/` + strings.Repeat("a", 500) + `"]}`, wantCode: CodeInvalidRedirectURI, wantDesc: `aaaa"... http is only allowed`},
		{name: "custom scheme for explicit web registers as native", body: `{"redirect_uris":["cursor://anysphere.cursor-mcp/oauth/callback"],"application_type":"web"}`, check: func(t *testing.T, m Metadata) {
			if m.ApplicationType != ApplicationTypeNative {
				t.Errorf("application_type: got %q, want native", m.ApplicationType)
			}
		}},
		{name: "custom scheme mixed with https and loopback, no type (Cursor)", body: `{"redirect_uris":["cursor://anysphere.cursor-mcp/oauth/callback","https://www.cursor.com/agents/mcp/oauth/callback","http://localhost:8787/callback"]}`, check: func(t *testing.T, m Metadata) {
			if m.ApplicationType != ApplicationTypeNative || len(m.RedirectURIs) != 3 {
				t.Errorf("got application_type %q and %d redirect URIs, want native and all 3", m.ApplicationType, len(m.RedirectURIs))
			}
		}},

		// application_type.
		{name: "unknown application_type", body: `{"redirect_uris":["https://a.example/cb"],"application_type":"desktop"}`, wantCode: CodeInvalidClientMetadata, wantDesc: `application_type must be "web" or "native", got "desktop"`},
		{name: "application_type wrong case", body: `{"redirect_uris":["https://a.example/cb"],"application_type":"Native"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "application_type"},

		// token_endpoint_auth_method.
		{name: "default basic not supported", body: `{"redirect_uris":["https://a.example/cb"]}`, opts: publicOnly, wantCode: CodeInvalidClientMetadata, wantDesc: `token_endpoint_auth_method "client_secret_basic" is not supported; supported: none`},
		{name: "none supported", body: `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none"}`, opts: publicOnly},
		{name: "private_key_jwt", body: `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, wantCode: CodeInvalidClientMetadata, wantDesc: `"private_key_jwt" is not supported`},
		{name: "private_key_jwt when offered", body: `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, opts: Options{SupportedAuthMethods: []string{"private_key_jwt", "none"}}, check: func(t *testing.T, m Metadata) {
			if m.TokenEndpointAuthMethod != "private_key_jwt" {
				t.Errorf("got %q", m.TokenEndpointAuthMethod)
			}
		}},
		{name: "private_key_jwt by default", body: `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "supported: none, client_secret_basic, client_secret_post"},
		{name: "tls_client_auth", body: `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"tls_client_auth"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "token_endpoint_auth_method"},

		// grant_types and response_types.
		{name: "implicit grant", body: `{"redirect_uris":["https://a.example/cb"],"grant_types":["implicit"]}`, wantCode: CodeInvalidClientMetadata, wantDesc: `grant_types: none of implicit is supported`},
		{name: "client_credentials grant beside the code grant is dropped", body: `{"redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code","client_credentials"]}`, check: func(t *testing.T, m Metadata) {
			if !reflect.DeepEqual(m.GrantTypes, []string{"authorization_code"}) {
				t.Errorf("grant_types: got %v, want [authorization_code]", m.GrantTypes)
			}
		}},
		{name: "device grant beside code and refresh is dropped (VS Code)", body: `{"redirect_uris":["http://127.0.0.1/"],"grant_types":["authorization_code","refresh_token","urn:ietf:params:oauth:grant-type:device_code"],"token_endpoint_auth_method":"none"}`, check: func(t *testing.T, m Metadata) {
			if !reflect.DeepEqual(m.GrantTypes, []string{"authorization_code", "refresh_token"}) {
				t.Errorf("grant_types: got %v, want [authorization_code refresh_token]", m.GrantTypes)
			}
		}},
		{name: "password grant", body: `{"redirect_uris":["https://a.example/cb"],"grant_types":["password"]}`, wantCode: CodeInvalidClientMetadata, wantDesc: `password`},
		{name: "device grant", body: `{"redirect_uris":["https://a.example/cb"],"grant_types":["urn:ietf:params:oauth:grant-type:device_code"]}`, wantCode: CodeInvalidClientMetadata, wantDesc: "grant_types"},
		{name: "token response type", body: `{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}`, wantCode: CodeInvalidClientMetadata, wantDesc: `response_types: none of token is supported`},
		{name: "token response type beside code is dropped", body: `{"redirect_uris":["https://a.example/cb"],"response_types":["code","token"]}`, check: func(t *testing.T, m Metadata) {
			if !reflect.DeepEqual(m.ResponseTypes, []string{"code"}) {
				t.Errorf("response_types: got %v, want [code]", m.ResponseTypes)
			}
		}},
		{name: "hybrid response type", body: `{"redirect_uris":["https://a.example/cb"],"response_types":["code id_token"]}`, wantCode: CodeInvalidClientMetadata, wantDesc: "response_types"},
		{name: "refresh_token only with code", body: `{"redirect_uris":["https://a.example/cb"],"grant_types":["refresh_token"]}`, wantCode: CodeInvalidClientMetadata, wantDesc: `grant_types must include "authorization_code", which response type "code" needs`},
		{name: "refresh_token only with explicit code", body: `{"redirect_uris":["https://a.example/cb"],"grant_types":["refresh_token"],"response_types":["code"]}`, wantCode: CodeInvalidClientMetadata, wantDesc: "grant_types must include"},

		// client_name.
		{name: "client_name too long", body: `{"redirect_uris":["https://a.example/cb"],"client_name":"` + strings.Repeat("a", 201) + `"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "client_name has 201 characters, at most 200"},
		{name: "client_name newline", body: `{"redirect_uris":["https://a.example/cb"],"client_name":"a\nb"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "client_name must not contain"},
		{name: "client_name escape", body: `{"redirect_uris":["https://a.example/cb"],"client_name":"a\u001b[31m"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "client_name"},
		{name: "client_name bidi override", body: `{"redirect_uris":["https://a.example/cb"],"client_name":"\u202emoc.elgoog"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "bidirectional"},
		{name: "client_name invalid UTF-8", body: "{\"redirect_uris\":[\"https://a.example/cb\"],\"client_name\":\"a\xffb\"}", wantCode: CodeInvalidClientMetadata, wantDesc: "client_name"},

		// Informational URIs.
		{name: "client_uri javascript", body: `{"redirect_uris":["https://a.example/cb"],"client_uri":"javascript:alert(1)"}`, wantCode: CodeInvalidClientMetadata, wantDesc: `client_uri "javascript:alert(1)" uses the forbidden scheme`},
		{name: "logo_uri data", body: `{"redirect_uris":["https://a.example/cb"],"logo_uri":"data:image/png;base64,AAAA"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "logo_uri"},
		{name: "logo_uri http remote", body: `{"redirect_uris":["https://a.example/cb"],"logo_uri":"http://a.example/logo.png"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "logo_uri"},
		{name: "tos_uri custom scheme", body: `{"redirect_uris":["https://a.example/cb"],"tos_uri":"myapp://tos"}`, wantCode: CodeInvalidClientMetadata, wantDesc: `tos_uri "myapp://tos" must be an https URL`},
		{name: "policy_uri relative", body: `{"redirect_uris":["https://a.example/cb"],"policy_uri":"/policy"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "policy_uri"},
		{name: "client_uri userinfo", body: `{"redirect_uris":["https://a.example/cb"],"client_uri":"https://good.example@evil.example"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "userinfo"},
		{name: "client_uri too long", body: `{"redirect_uris":["https://a.example/cb"],"client_uri":"https://a.example/` + strings.Repeat("a", MaxURILength) + `"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "longer than 2000"},
		{name: "jwks_uri http", body: `{"redirect_uris":["https://a.example/cb"],"jwks_uri":"http://a.example/jwks"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "jwks_uri"},

		// scope.
		{name: "unknown scope, strict", body: `{"redirect_uris":["https://a.example/cb"],"scope":"mcp:read admin"}`, opts: strictScopes, wantCode: CodeInvalidClientMetadata, wantDesc: `scope "admin" is not supported; supported: mcp:read mcp:write openid`},
		{name: "unknown scope is dropped", body: `{"redirect_uris":["https://a.example/cb"],"scope":"mcp:read admin"}`, opts: allScopes, check: func(t *testing.T, m Metadata) {
			if m.Scope != "mcp:read" {
				t.Errorf("scope: got %q, want mcp:read", m.Scope)
			}
		}},
		{name: "only an unknown scope (Claude.ai)", body: `{"redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"scope":"claudeai"}`, opts: allScopes, check: func(t *testing.T, m Metadata) {
			if m.Scope != "" {
				t.Errorf("scope: got %q, want none", m.Scope)
			}
		}},
		{name: "scope with tab", body: `{"redirect_uris":["https://a.example/cb"],"scope":"mcp:read\tmcp:write"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "RFC 6749"},
		{name: "scope with quote", body: `{"redirect_uris":["https://a.example/cb"],"scope":"a\"b"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "RFC 6749"},
		{name: "scope non-ASCII", body: `{"redirect_uris":["https://a.example/cb"],"scope":"ṡcope"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "RFC 6749"},

		// contacts.
		{name: "too many contacts", body: `{"redirect_uris":["https://a.example/cb"],"contacts":["a","b","c","d","e","f","g","h","i","j","k"]}`, wantCode: CodeInvalidClientMetadata, wantDesc: "contacts has 11 entries, at most 10"},
		{name: "empty contact", body: `{"redirect_uris":["https://a.example/cb"],"contacts":[""]}`, wantCode: CodeInvalidClientMetadata, wantDesc: "contacts[0]"},
		{name: "contact with newline", body: `{"redirect_uris":["https://a.example/cb"],"contacts":["a@b","c\nd"]}`, wantCode: CodeInvalidClientMetadata, wantDesc: "contacts[1]"},
		{name: "contacts as string", body: `{"redirect_uris":["https://a.example/cb"],"contacts":"a@b"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "contacts: got a JSON string"},

		// software_*.
		{name: "software_id too long", body: `{"redirect_uris":["https://a.example/cb"],"software_id":"` + strings.Repeat("a", 201) + `"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "software_id"},
		{name: "software_version control", body: `{"redirect_uris":["https://a.example/cb"],"software_version":"1\r\n"}`, wantCode: CodeInvalidClientMetadata, wantDesc: "software_version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, e := ParseRegistration([]byte(tc.body), tc.opts)
			if tc.wantCode == "" {
				if e != nil {
					t.Fatalf("ParseRegistration error = %v, want nil", e)
				}
				if tc.check != nil {
					tc.check(t, m)
				}
				return
			}
			if e == nil {
				t.Fatalf("ParseRegistration error = nil, want %s containing %q", tc.wantCode, tc.wantDesc)
			}
			if e.Code != tc.wantCode {
				t.Errorf("error code: got %q, want %q (description %q)", e.Code, tc.wantCode, e.Description)
			}
			if !strings.Contains(e.Description, tc.wantDesc) {
				t.Errorf("error description: got %q, want it to contain %q", e.Description, tc.wantDesc)
			}
			if !reflect.DeepEqual(m, Metadata{}) {
				t.Errorf("metadata on error: got %+v, want zero", m)
			}
		})
	}
}

func eq(t *testing.T, field string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", field, got, want)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"with description", &Error{Code: CodeInvalidRedirectURI, Description: "bad"}, "invalid_redirect_uri: bad"},
		{"code only", &Error{Code: CodeInvalidClientMetadata}, "invalid_client_metadata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error = tc.err
			if got := err.Error(); got != tc.want {
				t.Fatalf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMetadataClient(t *testing.T) {
	m, e := ParseRegistration([]byte(`{"redirect_uris":["http://localhost:1/cb"],"token_endpoint_auth_method":"none","client_name":"VS Code","scope":"mcp:read","client_uri":"https://code.visualstudio.com","logo_uri":"https://code.visualstudio.com/logo.png","grant_types":["authorization_code","refresh_token"]}`), Options{})
	if e != nil {
		t.Fatalf("ParseRegistration error = %v, want nil", e)
	}
	now := time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)
	c := m.Client("client-1", "", now)
	eq(t, "ID", c.ID, "client-1")
	eq(t, "SecretHash", c.SecretHash, "")
	eq(t, "Name", c.Name, "VS Code")
	eq(t, "RedirectURIs", c.RedirectURIs, []string{"http://localhost:1/cb"})
	eq(t, "GrantTypes", c.GrantTypes, []string{"authorization_code", "refresh_token"})
	eq(t, "ResponseTypes", c.ResponseTypes, []string{"code"})
	eq(t, "TokenEndpointAuthMethod", c.TokenEndpointAuthMethod, "none")
	eq(t, "ApplicationType", c.ApplicationType, "native")
	eq(t, "Scope", c.Scope, "mcp:read")
	eq(t, "ClientURI", c.ClientURI, "https://code.visualstudio.com")
	eq(t, "LogoURI", c.LogoURI, "https://code.visualstudio.com/logo.png")
	eq(t, "Source", c.Source, oauth.SourceDCR)
	eq(t, "CreatedAt", c.CreatedAt, now)
	eq(t, "ExpiresAt", c.ExpiresAt, time.Time{})

	// The record must not share backing arrays with the metadata.
	m.RedirectURIs[0] = "changed"
	eq(t, "RedirectURIs after metadata change", c.RedirectURIs, []string{"http://localhost:1/cb"})
}
