package config

import (
	"slices"
	"strings"
	"testing"
)

func TestValidatePolicy(t *testing.T) {
	engineers := func() Rule {
		return Rule{Name: "engineers", Groups: []string{"eng"}, Allow: Permissions{Tools: []string{"*"}}}
	}
	tests := []validateCase{
		{name: "no policy", change: func(*Config) {}},
		{name: "sign-in lists", change: func(c *Config) {
			c.Policy.SignIn = SignInPolicy{AllowedEmailDomains: []string{"example.com"}, AllowedEmails: []string{"ada@partner.example"}, RequiredGroups: []string{"mcp-users"}}
		}},
		{name: "domain with @", change: func(c *Config) { c.Policy.SignIn.AllowedEmailDomains = []string{"@example.com"} },
			wantKeys: []string{"policy.signin.allowed_email_domains[0]"}, wantMsg: "not a domain"},
		{name: "domain wildcard", change: func(c *Config) { c.Policy.SignIn.AllowedEmailDomains = []string{"*.example.com"} },
			wantKeys: []string{"policy.signin.allowed_email_domains[0]"}, wantMsg: "not a domain"},
		{name: "allowed email without @", change: func(c *Config) { c.Policy.SignIn.AllowedEmails = []string{"ada"} },
			wantKeys: []string{"policy.signin.allowed_emails[0]"}, wantMsg: "not an address"},
		{name: "allowed email pattern", change: func(c *Config) { c.Policy.SignIn.AllowedEmails = []string{"*@example.com"} },
			wantKeys: []string{"policy.signin.allowed_emails[0]"}, wantMsg: "not an address"},
		{name: "empty required group", change: func(c *Config) { c.Policy.SignIn.RequiredGroups = []string{""} },
			wantKeys: []string{"policy.signin.required_groups[0]"}, wantMsg: "empty"},

		{name: "a rule", change: func(c *Config) { c.Policy.Rules = []Rule{engineers()} }},
		{name: "rule for everyone with a deny only", change: func(c *Config) {
			c.Policy.Rules = []Rule{{Name: "no-exec", Deny: Permissions{Tools: []string{"system_exec"}}}}
		}},
		{name: "rule without a name", change: func(c *Config) { r := engineers(); r.Name = ""; c.Policy.Rules = []Rule{r} },
			wantKeys: []string{"policy.rules[0].name"}, wantMsg: "required"},
		{name: "two rules, one name", change: func(c *Config) { c.Policy.Rules = []Rule{engineers(), engineers()} },
			wantKeys: []string{"policy.rules[1].name"}, wantMsg: "already the name of policy.rules[0]"},
		{name: "empty rule", change: func(c *Config) { c.Policy.Rules = []Rule{{Name: "nothing", Groups: []string{"eng"}}} },
			wantKeys: []string{"policy.rules[0]"}, wantMsg: "allows and denies nothing"},
		{name: "scope in mcp.scopes", change: func(c *Config) {
			c.MCP.Scopes = []string{"mcp", "mcp:write"}
			r := engineers()
			r.Scope = "mcp:write"
			c.Policy.Rules = []Rule{r}
		}},
		{name: "scope not in mcp.scopes", change: func(c *Config) { r := engineers(); r.Scope = "mcp:write"; c.Policy.Rules = []Rule{r} },
			wantKeys: []string{"policy.rules[0].scope"}, wantMsg: `"mcp:write" is not one of mcp.scopes`},
		{name: "empty pattern", change: func(c *Config) { r := engineers(); r.Deny.Resources = []string{""}; c.Policy.Rules = []Rule{r} },
			wantKeys: []string{"policy.rules[0].deny.resources[0]"}, wantMsg: "empty"},
		{name: "duplicate pattern", change: func(c *Config) { r := engineers(); r.Allow.Prompts = []string{"a", "a"}; c.Policy.Rules = []Rule{r} },
			wantKeys: []string{"policy.rules[0].allow.prompts[1]"}, wantMsg: "duplicate"},
		{name: "control character in a tool name", change: func(c *Config) { r := engineers(); r.Allow.Tools = []string{"a\nb"}; c.Policy.Rules = []Rule{r} },
			wantKeys: []string{"policy.rules[0].allow.tools[0]"}, wantMsg: "printable"},
		{name: "email pattern", change: func(c *Config) { r := engineers(); r.Emails = []string{"*@example.com"}; c.Policy.Rules = []Rule{r} }},
		{name: "bad email", change: func(c *Config) { r := engineers(); r.Emails = []string{"example.com"}; c.Policy.Rules = []Rule{r} },
			wantKeys: []string{"policy.rules[0].emails[0]"}, wantMsg: "not an address"},
		{name: "every problem at once", change: func(c *Config) {
			c.Policy.Rules = []Rule{{Scope: "admin"}, {Name: "x", Clients: []string{""}, Allow: Permissions{Tools: []string{"t"}}}}
		}, wantKeys: []string{"policy.rules[0].name", "policy.rules[0].scope", "policy.rules[0]", "policy.rules[1].clients[0]"}},

		{name: "audit to stdout", change: func(c *Config) { c.Audit.Path = "stdout" }},
		{name: "audit to a file", change: func(c *Config) { c.Audit.Path = "/var/log/mcpgate/audit.log" }},
	}
	runValidateCases(t, tests)
}

// TestLoadPolicyFromEnv: rules come from MCPGATE_POLICY_RULES as JSON, the
// allow and deny mappings inside each item included, as strictly as YAML.
func TestLoadPolicyFromEnv(t *testing.T) {
	env := []string{
		`MCPGATE_POLICY_RULES=[{"name":"eng","groups":["eng"],"scope":"mcp","allow":{"tools":["*"]},"deny":{"tools":["system_exec"],"prompts":["p"]}}]`,
		"MCPGATE_POLICY_SIGNIN_ALLOWED_EMAIL_DOMAINS=example.com,example.org",
		"MCPGATE_POLICY_SIGNIN_REQUIRE_VERIFIED_EMAIL=false",
	}
	c, err := Load("", env)
	if err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	want := Rule{Name: "eng", Groups: []string{"eng"}, Scope: "mcp", Allow: Permissions{Tools: []string{"*"}},
		Deny: Permissions{Tools: []string{"system_exec"}, Prompts: []string{"p"}}}
	if len(c.Policy.Rules) != 1 || !rulesEqual(c.Policy.Rules[0], want) {
		t.Errorf("got rules %+v, want [%+v]", c.Policy.Rules, want)
	}
	if got := c.Policy.SignIn; !slices.Equal(got.AllowedEmailDomains, []string{"example.com", "example.org"}) || got.RequireVerifiedEmail {
		t.Errorf("got sign-in policy %+v, want two domains and require_verified_email false", got)
	}

	_, err = Load("", []string{`MCPGATE_POLICY_RULES=[{"name":"eng","allow":{"tools":["*"],"tool":["x"]},"deny":[]}]`})
	ps := problemsOf(t, err)
	var msgs []string
	for _, p := range ps {
		msgs = append(msgs, p.String())
	}
	for _, want := range []string{"policy.rules[0].allow.tool: unknown key", "policy.rules[0].deny: want a JSON object"} {
		if !strings.Contains(strings.Join(msgs, "\n"), want) {
			t.Errorf("got problems %q, want one containing %q", msgs, want)
		}
	}
}

func rulesEqual(a, b Rule) bool {
	return a.Name == b.Name && a.Scope == b.Scope && slices.Equal(a.Groups, b.Groups) &&
		slices.Equal(a.Emails, b.Emails) && slices.Equal(a.Clients, b.Clients) &&
		slices.Equal(a.Allow.Tools, b.Allow.Tools) && slices.Equal(a.Deny.Tools, b.Deny.Tools) &&
		slices.Equal(a.Deny.Prompts, b.Deny.Prompts) && slices.Equal(a.Allow.Resources, b.Allow.Resources)
}
