package config

import "testing"

func TestValidateUpstreamPresets(t *testing.T) {
	preset := func(typ string, change func(u *Upstream)) func(c *Config) {
		return func(c *Config) {
			c.Upstream.Type, c.Upstream.Issuer = typ, ""
			if change != nil {
				change(&c.Upstream)
			}
		}
	}
	runValidateCases(t, []validateCase{
		{name: "unknown type", change: func(c *Config) { c.Upstream.Type = "ldap" },
			wantKeys: []string{"upstream.type"}, wantMsg: `"ldap" is not one of oidc, google, entra, okta, keycloak, github`},
		{name: "oidc needs an issuer", change: preset("oidc", nil), wantKeys: []string{"upstream.issuer"}, wantMsg: "required"},
		{name: "google with a domain, no issuer", change: preset("google", func(u *Upstream) { u.HostedDomains = []string{"example.com"} })},
		{name: "hosted domains elsewhere", change: func(c *Config) { c.Upstream.HostedDomains = []string{"example.com"} },
			wantKeys: []string{"upstream.hosted_domains"}, wantMsg: "google only"},
		{name: "entra, one tenant", change: preset("entra", func(u *Upstream) { u.Tenant = "8f9c0c2a-0000-4000-8000-000000000001" })},
		{name: "entra without a tenant", change: preset("entra", nil), wantKeys: []string{"upstream.tenant"}, wantMsg: "required for entra"},
		{name: "entra common, allow-listed", change: preset("entra", func(u *Upstream) { u.Tenant, u.AllowedTenants = "common", []string{"t1"} })},
		{name: "entra common, no allow-list", change: preset("entra", func(u *Upstream) { u.Tenant = "organizations" }),
			wantKeys: []string{"upstream.allowed_tenants"}, wantMsg: "anyone with a Microsoft work account"},
		{name: "entra allow-list with one tenant", change: preset("entra", func(u *Upstream) { u.Tenant, u.AllowedTenants = "t0", []string{"t1"} }),
			wantKeys: []string{"upstream.allowed_tenants"}, wantMsg: "common or organizations only"},
		{name: "entra issuer of another tenant", change: preset("entra", func(u *Upstream) {
			u.Tenant, u.Issuer = "t0", "https://login.microsoftonline.com/t9/v2.0"
		}), wantKeys: []string{"upstream.issuer"}, wantMsg: `must name the tenant "t0"`},
		{name: "entra sovereign cloud", change: preset("entra", func(u *Upstream) {
			u.Tenant, u.Issuer = "t0", "https://login.microsoftonline.us/t0/v2.0"
		})},
		{name: "entra prompt=consent", change: preset("entra", func(u *Upstream) {
			u.Tenant, u.AuthParams = "t0", map[string]string{"prompt": "select_account consent"}
		}), wantKeys: []string{"upstream.auth_params.prompt"}, wantMsg: "must not be sent to Entra ID"},
		{name: "entra resource", change: preset("entra", func(u *Upstream) {
			u.Tenant, u.AuthParams = "t0", map[string]string{"resource": "https://graph.microsoft.com"}
		}), wantKeys: []string{"upstream.auth_params.resource"}, wantMsg: "set by mcpgate itself"},
		{name: "tenant elsewhere", change: func(c *Config) { c.Upstream.Tenant = "common" }, wantKeys: []string{"upstream.tenant"}, wantMsg: "entra only"},
		{name: "keycloak realm", change: preset("keycloak", func(u *Upstream) { u.Issuer = "https://sso.example.com/realms/acme" })},
		{name: "keycloak not a realm", change: preset("keycloak", func(u *Upstream) { u.Issuer = "https://sso.example.com/acme" }),
			wantKeys: []string{"upstream.issuer"}, wantMsg: "realm's issuer"},
		{name: "okta custom authorization server", change: preset("okta", func(u *Upstream) { u.Issuer = "https://acme.okta.com/oauth2/default" })},
		{name: "github.com", change: preset("github", nil)},
		{name: "negative intervals", change: func(c *Config) { c.Upstream.CheckInterval, c.Upstream.MaxSessionAge = -1, -1 },
			wantKeys: []string{"upstream.check_interval", "upstream.max_session_age"}, wantMsg: "must not be negative"},
		{name: "github enterprise server", change: preset("github", func(u *Upstream) { u.Issuer = "https://github.example.com" })},
	})
}

func TestUpstreamIssuerURL(t *testing.T) {
	for _, tt := range []struct {
		u    Upstream
		want string
	}{
		{Upstream{Issuer: "https://idp.example.com"}, "https://idp.example.com"},
		{Upstream{Type: "google"}, "https://accounts.google.com"},
		{Upstream{Type: "entra", Tenant: "t0"}, "https://login.microsoftonline.com/t0/v2.0"},
		{Upstream{Type: "github"}, "https://github.com"},
		{Upstream{Type: "github", Issuer: "https://github.example.com"}, "https://github.example.com"},
	} {
		if got := tt.u.IssuerURL(); got != tt.want {
			t.Errorf("%+v: got %s, want %s", tt.u, got, tt.want)
		}
	}
}
