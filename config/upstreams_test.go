package config

import (
	"slices"
	"strings"
	"testing"
)

func twoIdPs() []NamedUpstream {
	corp := NamedUpstream{Name: "corp", DisplayName: "Example Corp", EmailDomains: []string{"Example.com"},
		Upstream: Upstream{Type: "okta", Issuer: "https://example.okta.com", ClientID: "mcpgate"}}
	partners := NamedUpstream{Name: "partners",
		Upstream: Upstream{Type: "entra", Tenant: "contoso.onmicrosoft.com", ClientID: "app-id"}}
	return []NamedUpstream{corp, partners}
}

func withUpstreams(c *Config, us []NamedUpstream) {
	c.Upstream = Default().Upstream
	c.Upstreams = us
}

func TestValidateUpstreams(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "two IdPs", change: func(c *Config) { withUpstreams(c, twoIdPs()) }},
		{name: "one IdP in the list", change: func(c *Config) { withUpstreams(c, twoIdPs()[:1]) }},
		{name: "upstream and upstreams", change: func(c *Config) { c.Upstreams = twoIdPs() },
			wantKeys: []string{"upstream"}, wantMsg: "either upstream or upstreams"},
		{name: "name missing", change: func(c *Config) { us := twoIdPs(); us[1].Name = ""; withUpstreams(c, us) },
			wantKeys: []string{"upstreams[1].name"}, wantMsg: "is not a name"},
		{name: "name with a slash", change: func(c *Config) { us := twoIdPs(); us[1].Name = "a/b"; withUpstreams(c, us) },
			wantKeys: []string{"upstreams[1].name"}, wantMsg: "is not a name"},
		{name: "one name twice", change: func(c *Config) { us := twoIdPs(); us[1].Name = "corp"; withUpstreams(c, us) },
			wantKeys: []string{"upstreams[1].name"}, wantMsg: `"corp" is already the name of upstreams[0]`},
		{name: "one issuer twice", change: func(c *Config) {
			us := twoIdPs()
			us[1].Upstream = us[0].Upstream
			withUpstreams(c, us)
		}, wantKeys: []string{"upstreams[1].issuer"}, wantMsg: "is already the issuer of upstreams[0]"},
		{name: "one email domain for two IdPs, in another case", change: func(c *Config) {
			us := twoIdPs()
			us[1].EmailDomains = []string{"example.COM"}
			withUpstreams(c, us)
		}, wantKeys: []string{"upstreams[1].email_domains[0]"}, wantMsg: `"example.com" already routes to upstreams[0]`},
		{name: "an email address as a domain", change: func(c *Config) {
			us := twoIdPs()
			us[0].EmailDomains = []string{"ann@example.com"}
			withUpstreams(c, us)
		}, wantKeys: []string{"upstreams[0].email_domains[0]"}, wantMsg: "is not a domain name"},
		{name: "a redirect url of its own", change: func(c *Config) {
			us := twoIdPs()
			us[0].RedirectURL = "https://mcp.example.com/cb"
			withUpstreams(c, us)
		}, wantKeys: []string{"upstreams[0].redirect_url"}, wantMsg: "/oauth/callback/<name>"},
		{name: "display name with a newline", change: func(c *Config) {
			us := twoIdPs()
			us[0].DisplayName = "a\nb"
			withUpstreams(c, us)
		}, wantKeys: []string{"upstreams[0].display_name"}, wantMsg: "printable"},
		{name: "a rule for users of one IdP", change: func(c *Config) {
			withUpstreams(c, twoIdPs())
			c.Policy.Rules = []Rule{{Name: "corp", IdPs: []string{"corp"}, Allow: Permissions{Tools: []string{"*"}}}}
		}},
		{name: "a rule naming no IdP of upstreams", change: func(c *Config) {
			withUpstreams(c, twoIdPs())
			c.Policy.Rules = []Rule{{Name: "corp", IdPs: []string{"crop"}, Allow: Permissions{Tools: []string{"*"}}}}
		}, wantKeys: []string{"policy.rules[0].idps[0]"}, wantMsg: `"crop" is not the name of one of upstreams`},
		{name: "a backend's rule naming an IdP without upstreams", change: func(c *Config) {
			c.Backends = []NamedBackend{{Name: "tools", URL: "http://tools.internal/mcp",
				Policy: BackendPolicy{Rules: []Rule{{Name: "corp", IdPs: []string{"corp"}, Allow: Permissions{Tools: []string{"*"}}}}}}}
		}, wantKeys: []string{"backends[0].policy.rules[0].idps[0]"}, wantMsg: "is not the name"},
		{name: "every entry checked like the upstream section, under its own key", change: func(c *Config) {
			us := twoIdPs()
			us[0].ClientID = ""
			us[1].Tenant = ""
			withUpstreams(c, us)
		}, wantKeys: []string{"upstreams[0].client_id", "upstreams[1].tenant"}, wantMsg: "required"},
	})
}

func TestIdPs(t *testing.T) {
	t.Run("the upstream section is the one IdP, named empty", func(t *testing.T) {
		c := validConfig()
		got := c.IdPs()
		if len(got) != 1 || got[0].Name != "" || got[0].CallbackPath != CallbackPath ||
			got[0].Settings.RedirectURL != "https://mcp.example.com"+CallbackPath {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("a redirect url of the upstream section sets its callback path", func(t *testing.T) {
		c := validConfig()
		c.Upstream.RedirectURL = "https://mcp.example.com/sso/back?x=1"
		if got := c.IdPs()[0].CallbackPath; got != "/sso/back" {
			t.Fatalf("got callback path %q, want /sso/back", got)
		}
	})
	t.Run("each of upstreams at its own callback, with the section's defaults", func(t *testing.T) {
		c := validConfig()
		withUpstreams(c, twoIdPs())
		got := c.IdPs()
		if len(got) != 2 {
			t.Fatalf("got %d IdPs, want 2", len(got))
		}
		corp, partners := got[0], got[1]
		if corp.Name != "corp" || corp.DisplayName != "Example Corp" || !slices.Equal(corp.EmailDomains, []string{"example.com"}) {
			t.Errorf("corp: got %+v", corp)
		}
		if partners.DisplayName != "partners" {
			t.Errorf("partners: got display name %q, want the name", partners.DisplayName)
		}
		for _, idp := range got {
			want := "https://mcp.example.com/oauth/callback/" + idp.Name
			if idp.Settings.RedirectURL != want || !strings.HasSuffix(want, idp.CallbackPath) {
				t.Errorf("%s: got redirect %q at %q, want %q", idp.Name, idp.Settings.RedirectURL, idp.CallbackPath, want)
			}
			if !slices.Equal(idp.Settings.Scopes, []string{"openid", "email", "profile"}) || idp.Settings.GroupsClaim != "groups" {
				t.Errorf("%s: got scopes %v, groups claim %q, want the upstream section's defaults", idp.Name, idp.Settings.Scopes, idp.Settings.GroupsClaim)
			}
		}
		if partners.Settings.Issuer != "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0" {
			t.Errorf("partners: got issuer %q, want the entra preset's", partners.Settings.Issuer)
		}
	})
}

func TestLoadUpstreams(t *testing.T) {
	secret := writeFile(t, "secret", "s3cret\n")
	t.Run("yaml, every upstream key inline", func(t *testing.T) {
		path := writeFile(t, "c.yaml", `public_url: https://mcp.example.com
backend: {url: http://localhost:3000/mcp}
upstreams:
  - name: corp
    display_name: Example Corp
    email_domains: [example.com]
    type: okta
    issuer: https://example.okta.com
    client_id: mcpgate
    client_secret_file: `+secret+`
    check_interval: 5m
  - name: github
    type: github
    client_id: gh
`)
		c, err := Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		us := c.Upstreams
		if len(us) != 2 || us[0].ClientSecret != "s3cret" || us[0].CheckInterval.Minutes() != 5 || us[1].Type != "github" {
			t.Fatalf("got %+v", us)
		}
	})
	t.Run("environment, as JSON", func(t *testing.T) {
		c, err := Load("", []string{
			"MCPGATE_PUBLIC_URL=https://mcp.example.com", "MCPGATE_BACKEND_URL=http://localhost:3000/mcp",
			`MCPGATE_UPSTREAMS=[{"name":"corp","issuer":"https://example.okta.com","client_id":"a","client_secret_file":"` + secret + `","check_interval":"1m"},` +
				`{"name":"b","issuer":"https://b.example.com","client_id":"b"}]`,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if len(c.Upstreams) != 2 || c.Upstreams[0].ClientSecret != "s3cret" || c.Upstreams[1].Issuer != "https://b.example.com" {
			t.Fatalf("got %+v", c.Upstreams)
		}
	})
	t.Run("an unknown key in an entry", func(t *testing.T) {
		path := writeFile(t, "c.yaml", "upstreams:\n  - name: corp\n    issuer_url: https://x\n")
		_, err := Load(path, nil)
		if got := keysOf(problemsOf(t, err)); !slices.Equal(got, []string{"upstreams[0].issuer_url"}) {
			t.Fatalf("got problems at %v", got)
		}
	})
}
