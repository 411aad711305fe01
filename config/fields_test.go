package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestEnvNames pins the documented variable names: renaming a yaml tag
// renames a variable, which breaks deployments.
func TestEnvNames(t *testing.T) {
	ls, err := leaves(reflect.TypeFor[Config]())
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	got := map[string]bool{}
	for _, l := range ls {
		got[l.envName()] = true
		if l.secret {
			got[l.envName()+"_FILE"] = true
		}
	}
	for _, name := range []string{
		"MCPGATE_PUBLIC_URL", "MCPGATE_LISTEN", "MCPGATE_STORE", "MCPGATE_LOG_LEVEL",
		"MCPGATE_ENCRYPTION_KEY", "MCPGATE_ENCRYPTION_KEY_FILE", "MCPGATE_TRUSTED_PROXIES", "MCPGATE_ALLOWED_HOSTS",
		"MCPGATE_UPSTREAM_TYPE", "MCPGATE_UPSTREAM_ISSUER", "MCPGATE_UPSTREAM_CLIENT_ID",
		"MCPGATE_UPSTREAM_HOSTED_DOMAINS", "MCPGATE_UPSTREAM_TENANT", "MCPGATE_UPSTREAM_ALLOWED_TENANTS", "MCPGATE_UPSTREAM_CHECK_INTERVAL", "MCPGATE_UPSTREAM_MAX_SESSION_AGE", "MCPGATE_UPSTREAM_ID_JAG_CLIENTS", "MCPGATE_DPOP_REQUIRED", "MCPGATE_DPOP_NONCE",
		"MCPGATE_UPSTREAM_CLIENT_SECRET", "MCPGATE_UPSTREAM_CLIENT_SECRET_FILE",
		"MCPGATE_UPSTREAM_SCOPES", "MCPGATE_UPSTREAM_REDIRECT_URL",
		"MCPGATE_UPSTREAM_GROUPS_CLAIM", "MCPGATE_UPSTREAM_AUTH_PARAMS", "MCPGATE_UPSTREAM_ALLOW_UNVERIFIED_EMAIL",
		"MCPGATE_BACKEND_URL", "MCPGATE_BACKEND_TIMEOUT",
		"MCPGATE_BACKEND_IDENTITY_HEADERS_USER", "MCPGATE_BACKEND_IDENTITY_HEADERS_EMAIL", "MCPGATE_BACKEND_IDENTITY_HEADERS_EMAIL_VERIFIED",
		"MCPGATE_BACKEND_IDENTITY_HEADERS_NAME", "MCPGATE_BACKEND_IDENTITY_HEADERS_GROUPS",
		"MCPGATE_BACKEND_IDENTITY_HEADERS_CLIENT_ID",
		"MCPGATE_BACKEND_STRIP_HEADERS", "MCPGATE_BACKEND_ASSERTION_HEADER", "MCPGATE_BACKEND_ASSERTION_AUDIENCE", "MCPGATE_BACKEND_ASSERTION_TTL",
		"MCPGATE_MCP_PATH", "MCPGATE_MCP_SCOPES", "MCPGATE_MCP_STRICT_SCOPES", "MCPGATE_MCP_ALLOWED_ORIGINS",
		"MCPGATE_TOKENS_ACCESS_TOKEN_TTL", "MCPGATE_TOKENS_REFRESH_TOKEN_TTL",
		"MCPGATE_TOKENS_CODE_TTL", "MCPGATE_TOKENS_REFRESH_GRACE", "MCPGATE_TOKENS_KEY_ROTATION", "MCPGATE_TOKENS_KEY_RELOAD_INTERVAL", "MCPGATE_TOKENS_REVOCATION_POLL_INTERVAL",
		"MCPGATE_SESSION_SECRET", "MCPGATE_SESSION_SECRET_FILE",
		"MCPGATE_SESSION_TTL", "MCPGATE_SESSION_CONSENT_TTL", "MCPGATE_SESSION_REUSE_SIGN_IN",
		"MCPGATE_REGISTRATION_DYNAMIC_ENABLED",
		"MCPGATE_REGISTRATION_INITIAL_ACCESS_TOKEN", "MCPGATE_REGISTRATION_INITIAL_ACCESS_TOKEN_FILE",
		"MCPGATE_REGISTRATION_REDIRECT_URI_PATTERNS", "MCPGATE_REGISTRATION_RATE_LIMIT",
		"MCPGATE_REGISTRATION_UNUSED_CLIENT_TTL",
		"MCPGATE_REGISTRATION_CIMD_ENABLED", "MCPGATE_REGISTRATION_CIMD_ALLOW_DOMAINS",
		"MCPGATE_REGISTRATION_CIMD_DENY_DOMAINS", "MCPGATE_REGISTRATION_CIMD_CA_FILE",
		"MCPGATE_REGISTRATION_CIMD_ALLOWED_NETWORKS",
		"MCPGATE_REGISTRATION_CIMD_CACHE_MIN", "MCPGATE_REGISTRATION_CIMD_CACHE_MAX",
		"MCPGATE_LIMITS_MCP_BODY_BYTES", "MCPGATE_LIMITS_BODY_READ_TIMEOUT", "MCPGATE_LIMITS_AUTHORIZE_RATE_LIMIT",
		"MCPGATE_CLIENTS", "MCPGATE_SERVICE_ACCOUNTS",
		"MCPGATE_POLICY_SIGNIN_ALLOWED_EMAIL_DOMAINS", "MCPGATE_POLICY_SIGNIN_ALLOWED_EMAILS",
		"MCPGATE_POLICY_SIGNIN_REQUIRED_GROUPS", "MCPGATE_POLICY_SIGNIN_REQUIRE_VERIFIED_EMAIL",
		"MCPGATE_POLICY_RULES", "MCPGATE_AUDIT_PATH", "MCPGATE_BACKENDS", "MCPGATE_UPSTREAMS", "MCPGATE_BACKEND_UPSTREAM_TOKEN_HEADER",
		"MCPGATE_POLICY_PERSONAL_TOKENS_ENABLED", "MCPGATE_POLICY_PERSONAL_TOKENS_MAX_LIFETIME",
		"MCPGATE_POLICY_PERSONAL_TOKENS_ALLOW_NO_EXPIRY", "MCPGATE_POLICY_PERSONAL_TOKENS_ALLOWED_GROUPS",
		"MCPGATE_POLICY_ADMIN_GROUPS", "MCPGATE_PAGES_ORGANIZATION_NAME", "MCPGATE_PAGES_LOGO_FILE",
		"MCPGATE_SHUTDOWN_GRACE", "MCPGATE_LIMITS_TOKEN_RATE_LIMIT", "MCPGATE_LIMITS_TOKEN_CLIENT_RATE_LIMIT",
		"MCPGATE_LIMITS_MAX_HEADER_BYTES", "MCPGATE_ALLOW_INSECURE_PUBLIC_URL", "MCPGATE_METRICS_LISTEN", "MCPGATE_TRACING_OTLP_ENDPOINT", "MCPGATE_TRACING_SAMPLE_RATIO", "MCPGATE_TLS_CERT_FILE", "MCPGATE_TLS_KEY_FILE",
		"MCPGATE_LIMITS_READ_HEADER_TIMEOUT", "MCPGATE_LIMITS_IDLE_TIMEOUT",
	} {
		if !got[name] {
			t.Errorf("got no variable %s, want one", name)
		}
		delete(got, name)
	}
	for name := range got {
		t.Errorf("got undocumented variable %s, want it added to this test", name)
	}
}

// TestLeavesRejects checks that a field added to Config in a way Load
// cannot honour fails loudly rather than being silently ignored.
func TestLeavesRejects(t *testing.T) {
	type nested struct {
		B string `yaml:"b"`
	}
	tests := []struct {
		name    string
		typ     reflect.Type
		wantMsg string
	}{
		{
			name: "unsupported type",
			typ: reflect.TypeFor[struct {
				N complex128 `yaml:"n"`
			}](),
			wantMsg: "n: unsupported field type complex128",
		},
		{
			name: "section inside a list item's mapping",
			typ: reflect.TypeFor[struct {
				L []struct {
					N struct {
						M nested `yaml:"m"`
					} `yaml:"n"`
				} `yaml:"l"`
			}](),
			wantMsg: "l.n.m: unsupported field type",
		},
		{
			name: "secret inside a list item's mapping",
			typ: reflect.TypeFor[struct {
				L []struct {
					N struct {
						S string `yaml:"s" secret:"true"`
					} `yaml:"n"`
				} `yaml:"l"`
			}](),
			wantMsg: "l.n.s: unsupported field type",
		},
		{
			name: "list inside a list inside a list item",
			typ: reflect.TypeFor[struct {
				L []struct {
					N []struct {
						M []nested `yaml:"m"`
					} `yaml:"n"`
				} `yaml:"l"`
			}](),
			wantMsg: "l.n.m: unsupported field type",
		},
		{
			name: "secret in a list inside a list item",
			typ: reflect.TypeFor[struct {
				L []struct {
					N []struct {
						S string `yaml:"s" secret:"true"`
					} `yaml:"n"`
				} `yaml:"l"`
			}](),
			wantMsg: "l.n.s: unsupported field type",
		},
		{
			name: "secret that is not a string in a list item",
			typ: reflect.TypeFor[struct {
				L []struct {
					S bool `yaml:"s" secret:"true"`
				} `yaml:"l"`
			}](),
			wantMsg: "l.s: only string fields can be secret",
		},
		{
			name: "item key clashing with a secret's _file",
			typ: reflect.TypeFor[struct {
				L []struct {
					S     string `yaml:"s" secret:"true"`
					SFile string `yaml:"s_file"`
				} `yaml:"l"`
			}](),
			wantMsg: "l: key s_file is defined twice",
		},
		{
			name: "secret that is not a string",
			typ: reflect.TypeFor[struct {
				S []string `yaml:"s" secret:"true"`
			}](),
			wantMsg: "only string fields can be secret",
		},
		{
			name: "two keys, one variable",
			typ: reflect.TypeFor[struct {
				AB string `yaml:"a_b"`
				A  nested `yaml:"a"`
			}](),
			wantMsg: "a_b and a.b both map to MCPGATE_A_B",
		},
		{
			name: "key clashing with a secret's _file",
			typ: reflect.TypeFor[struct {
				S     string `yaml:"s" secret:"true"`
				SFile string `yaml:"s_file"`
			}](),
			wantMsg: "both map to MCPGATE_S_FILE",
		},
		{
			name: "key clashing with the config path variable",
			typ: reflect.TypeFor[struct {
				C string `yaml:"config"`
			}](),
			wantMsg: "MCPGATE_CONFIG",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := leaves(tt.typ)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantMsg)
			}
		})
	}
}
