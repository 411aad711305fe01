package policy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/principal"
)

func TestSignIn(t *testing.T) {
	ada := principal.Principal{Email: "Ada@Example.com", EmailVerified: true, Groups: []string{"mcp-users", "eng"}}
	with := func(change func(*principal.Principal)) *principal.Principal {
		p := ada
		change(&p)
		return &p
	}
	domains := SignIn{AllowedEmailDomains: []string{"example.com"}, RequireVerifiedEmail: true}
	tests := []struct {
		name       string
		policy     SignIn
		who        *principal.Principal
		wantAllow  bool
		wantReason string
	}{
		{name: "no sign-in policy", who: with(func(p *principal.Principal) { p.Email = "" }), wantAllow: true},
		{name: "domain allowed, any case", policy: domains, who: &ada, wantAllow: true},
		{name: "other domain", policy: domains, who: with(func(p *principal.Principal) { p.Email = "eve@evil.example" }), wantReason: "not one of those allowed"},
		{name: "subdomain is another domain", policy: domains, who: with(func(p *principal.Principal) { p.Email = "eve@x.example.com" }), wantReason: "not one of those allowed"},
		{name: "domain as suffix of another", policy: domains, who: with(func(p *principal.Principal) { p.Email = "eve@notexample.com" }), wantReason: "not one of those allowed"},
		{name: "no email", policy: domains, who: with(func(p *principal.Principal) { p.Email = "" }), wantReason: "did not give an email"},
		{name: "unverified email refused by default", policy: domains, who: with(func(p *principal.Principal) { p.EmailVerified = false }), wantReason: "not verified"},
		{name: "unverified email accepted when not required", policy: SignIn{AllowedEmailDomains: []string{"example.com"}},
			who: with(func(p *principal.Principal) { p.EmailVerified = false }), wantAllow: true},
		{name: "email on the list", policy: SignIn{AllowedEmails: []string{"eve@partner.example"}, RequireVerifiedEmail: true},
			who: with(func(p *principal.Principal) { p.Email = "EVE@partner.example" }), wantAllow: true},
		{name: "email list or domain", policy: SignIn{AllowedEmails: []string{"eve@partner.example"}, AllowedEmailDomains: []string{"example.com"}, RequireVerifiedEmail: true},
			who: &ada, wantAllow: true},
		{name: "in a required group", policy: SignIn{RequiredGroups: []string{"admins", "mcp-users"}}, who: &ada, wantAllow: true},
		{name: "in no required group", policy: SignIn{RequiredGroups: []string{"admins"}}, who: &ada, wantReason: "not a member"},
		{name: "groups compare exactly", policy: SignIn{RequiredGroups: []string{"MCP-users"}}, who: &ada, wantReason: "not a member"},
		{name: "domain and group both needed", policy: SignIn{AllowedEmailDomains: []string{"example.com"}, RequiredGroups: []string{"admins"}, RequireVerifiedEmail: true},
			who: &ada, wantReason: "not a member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Config{SignIn: tt.policy}).SignIn(tt.who)
			if d.Allowed != tt.wantAllow {
				t.Fatalf("got allowed %v (%q), want %v", d.Allowed, d.Reason, tt.wantAllow)
			}
			if !tt.wantAllow && !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("got reason %q, want it to contain %q", d.Reason, tt.wantReason)
			}
		})
	}
}

// rules is the example policy, plus a rule for everyone.
var rules = []Rule{
	{
		Name:   "engineers",
		Groups: []string{"eng"},
		Allow: Permissions{
			Tools:     []string{"*"},
			Resources: []string{"file:///workspace/*"},
			Prompts:   []string{"code_review"},
		},
		Deny: Permissions{Tools: []string{"system_exec"}},
	},
	{Name: "engineers-write", Groups: []string{"eng"}, Scope: "mcp:write", Allow: Permissions{Tools: []string{"write_*", "delete_*"}}},
	{Name: "everyone", Allow: Permissions{Tools: []string{"echo"}, Resources: []string{"file:///public/*.md"}}},
	{Name: "sales", Groups: []string{"sales"}, Emails: []string{"*@example.com"}, Allow: Permissions{Prompts: []string{"pitch"}}},
	{Name: "no-delete-from-cli", Clients: []string{"cli-*"}, Deny: Permissions{Tools: []string{"delete_*"}}},
	{Name: "writers", Groups: []string{"sales"}, Scope: "mcp:write", Allow: Permissions{Tools: []string{"write_notes"}}},
	{Name: "corp-only", IdPs: []string{"corp"}, Allow: Permissions{Tools: []string{"payroll"}}},
}

func TestDecide(t *testing.T) {
	eng := &principal.Principal{Subject: "a", Groups: []string{"eng"}, Scopes: []string{"mcp"}, ClientID: "claude"}
	engWrite := &principal.Principal{Subject: "a", Groups: []string{"eng"}, Scopes: []string{"mcp", "mcp:write"}, ClientID: "claude"}
	engCLI := &principal.Principal{Subject: "a", Groups: []string{"eng"}, Scopes: []string{"mcp", "mcp:write"}, ClientID: "cli-tool"}
	sales := &principal.Principal{Subject: "b", Email: "bo@example.com", EmailVerified: true, Groups: []string{"sales"}, Scopes: []string{"mcp"}}
	salesUnverified := &principal.Principal{Subject: "b", Email: "bo@example.com", Groups: []string{"sales"}, Scopes: []string{"mcp"}}
	corpUser := &principal.Principal{Subject: "https://corp#c", IdP: "corp", Scopes: []string{"mcp"}}
	partnerUser := &principal.Principal{Subject: "https://partners#c", IdP: "partners", Scopes: []string{"mcp"}}
	tests := []struct {
		name      string
		rules     []Rule
		who       *principal.Principal
		kind      Kind
		call      string
		wantAllow bool
		wantRule  string
		wantNeed  []string
	}{
		{name: "no rules allow everything", who: sales, kind: Tool, call: "system_exec", wantAllow: true},
		{name: "allow by wildcard", rules: rules, who: eng, kind: Tool, call: "read_file", wantAllow: true, wantRule: "engineers"},
		{name: "deny wins over allow", rules: rules, who: eng, kind: Tool, call: "system_exec", wantRule: "engineers"},
		{name: "deny in another rule wins", rules: rules, who: engCLI, kind: Tool, call: "delete_repo", wantRule: "no-delete-from-cli"},
		{name: "unknown tool, no rule allows", rules: rules, who: sales, kind: Tool, call: "read_file"},
		{name: "rule for everyone", rules: rules, who: sales, kind: Tool, call: "echo", wantAllow: true, wantRule: "everyone"},
		{name: "resource wildcard", rules: rules, who: eng, kind: Resource, call: "file:///workspace/src/main.go", wantAllow: true, wantRule: "engineers"},
		{name: "resource outside the pattern", rules: rules, who: eng, kind: Resource, call: "file:///etc/passwd"},
		{name: "wildcard in the middle", rules: rules, who: sales, kind: Resource, call: "file:///public/a/b.md", wantAllow: true, wantRule: "everyone"},
		{name: "wildcard in the middle, wrong suffix", rules: rules, who: sales, kind: Resource, call: "file:///public/a.md.txt"},
		{name: "prompt exact", rules: rules, who: eng, kind: Prompt, call: "code_review", wantAllow: true, wantRule: "engineers"},
		{name: "prompt of another group", rules: rules, who: eng, kind: Prompt, call: "pitch"},
		{name: "email pattern", rules: rules, who: sales, kind: Prompt, call: "pitch", wantAllow: true, wantRule: "sales"},
		{name: "unverified email matches no email rule", rules: rules, who: salesUnverified, kind: Prompt, call: "pitch"},
		{name: "names are case sensitive", rules: rules, who: eng, kind: Prompt, call: "Code_Review"},
		// A deny holds for every spelling a backend might fold to the
		// denied name; an allow only for the exact name.
		{name: "deny in upper case", rules: rules, who: eng, kind: Tool, call: "SYSTEM_EXEC", wantRule: "engineers"},
		{name: "deny in mixed case", rules: rules, who: eng, kind: Tool, call: "System_Exec", wantRule: "engineers"},
		{name: "deny in fullwidth letters", rules: rules, who: eng, kind: Tool, call: "ｓｙｓｔｅｍ＿ｅｘｅｃ", wantRule: "engineers"},
		{name: "deny wildcard in upper case", rules: rules, who: engCLI, kind: Tool, call: "DELETE_repo", wantRule: "no-delete-from-cli"},
		{name: "allow stays exact", rules: rules, who: sales, kind: Tool, call: "Echo"},
		{name: "resource deny not folded", rules: []Rule{{Name: "r", Allow: Permissions{Resources: []string{"file:///*"}}, Deny: Permissions{Resources: []string{"file:///secret"}}}},
			who: eng, kind: Resource, call: "file:///Secret", wantAllow: true, wantRule: "r"},
		{name: "scoped rule without the scope: step up", rules: rules, who: eng, kind: Tool, call: "write_file", wantAllow: true, wantRule: "engineers"},
		{name: "scoped rule with the scope", rules: []Rule{rules[1]}, who: engWrite, kind: Tool, call: "write_file", wantAllow: true, wantRule: "engineers-write"},
		{name: "scoped rule only: needs the scope", rules: []Rule{rules[1]}, who: eng, kind: Tool, call: "write_file", wantNeed: []string{"mcp:write"}},
		{name: "scoped rule that does not select the user", rules: []Rule{rules[1]}, who: sales, kind: Tool, call: "write_file"},
		{name: "step up for another group's scoped rule", rules: rules, who: sales, kind: Tool, call: "write_notes", wantNeed: []string{"mcp:write"}},
		{name: "step up does not beat a deny", rules: rules, who: engCLI, kind: Tool, call: "delete_x", wantRule: "no-delete-from-cli"},
		{name: "empty name", rules: rules, who: sales, kind: Tool, call: ""},
		{name: "rule for the IdP the user signed in with", rules: rules, who: corpUser, kind: Tool, call: "payroll", wantAllow: true, wantRule: "corp-only"},
		{name: "rule for another IdP", rules: rules, who: partnerUser, kind: Tool, call: "payroll"},
		{name: "rule for an IdP, user of the only upstream", rules: rules, who: sales, kind: Tool, call: "payroll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Config{Rules: tt.rules, SignIn: SignIn{RequireVerifiedEmail: true}}).For(tt.who).Decide(tt.kind, tt.call)
			if d.Allowed != tt.wantAllow || d.Rule != tt.wantRule || !slices.Equal(d.NeedScopes, tt.wantNeed) {
				t.Errorf("got %+v, want allowed %v by rule %q, need %q", d, tt.wantAllow, tt.wantRule, tt.wantNeed)
			}
		})
	}
}

func TestGrantableScope(t *testing.T) {
	p := New(Config{Rules: rules, SignIn: SignIn{RequireVerifiedEmail: true}})
	tests := []struct {
		name  string
		who   *principal.Principal
		scope string
		want  bool
	}{
		{name: "scope no rule names", who: &principal.Principal{}, scope: "mcp", want: true},
		{name: "named scope, rule selects", who: &principal.Principal{Groups: []string{"eng"}}, scope: "mcp:write", want: true},
		{name: "named scope, no rule selects", who: &principal.Principal{Groups: []string{"ops"}}, scope: "mcp:write", want: false},
		{name: "no policy", who: &principal.Principal{}, scope: "mcp:write", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := p
			if tt.name == "no policy" {
				pol = nil
			}
			if got := pol.GrantableScope(tt.who, tt.scope); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPattern(t *testing.T) {
	tests := []struct {
		pattern, subject string
		want             bool
	}{
		{"echo", "echo", true},
		{"echo", "echo2", false},
		{"*", "", true},
		{"write_*", "write_", true},
		{"write_*", "rewrite_x", false},
		{"*_file", "read_file", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"a*a", "a", false},
		{"**", "x", true},
	}
	for _, tt := range tests {
		if got := compilePattern(tt.pattern).match(tt.subject); got != tt.want {
			t.Errorf("pattern %q on %q: got %v, want %v", tt.pattern, tt.subject, got, tt.want)
		}
	}
}

func TestPersonalTokens(t *testing.T) {
	day := 24 * time.Hour
	eng := &principal.Principal{Groups: []string{"eng"}}
	sales := &principal.Principal{Groups: []string{"sales"}}
	tests := []struct {
		name          string
		cfg           PersonalTokens
		who           *principal.Principal
		wantRefused   string
		wantLifetimes []time.Duration
	}{
		{name: "defaults: everyone, up to 90 days", who: sales, wantLifetimes: []time.Duration{7 * day, 30 * day, 90 * day}},
		{name: "turned off", cfg: PersonalTokens{Disabled: true}, who: eng, wantRefused: "turned off", wantLifetimes: []time.Duration{7 * day, 30 * day, 90 * day}},
		{name: "groups: a member", cfg: PersonalTokens{AllowedGroups: []string{"eng"}}, who: eng, wantLifetimes: []time.Duration{7 * day, 30 * day, 90 * day}},
		{name: "groups: not a member", cfg: PersonalTokens{AllowedGroups: []string{"eng"}}, who: sales, wantRefused: "not a member", wantLifetimes: []time.Duration{7 * day, 30 * day, 90 * day}},
		{name: "capped at 30 days", cfg: PersonalTokens{MaxLifetime: 30 * day}, who: eng, wantLifetimes: []time.Duration{7 * day, 30 * day}},
		{name: "capped at 14 days", cfg: PersonalTokens{MaxLifetime: 14 * day}, who: eng, wantLifetimes: []time.Duration{7 * day, 14 * day}},
		{name: "capped at a day", cfg: PersonalTokens{MaxLifetime: day}, who: eng, wantLifetimes: []time.Duration{day}},
		{name: "no expiry allowed", cfg: PersonalTokens{AllowNoExpiry: true}, who: eng, wantLifetimes: []time.Duration{7 * day, 30 * day, 90 * day, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Config{PersonalTokens: tt.cfg})
			if got := p.PersonalTokens(tt.who); (tt.wantRefused == "") != (got == "") || !strings.Contains(got, tt.wantRefused) {
				t.Errorf("PersonalTokens: got %q, want %q", got, tt.wantRefused)
			}
			if got := p.TokenLifetimes(); !slices.Equal(got, tt.wantLifetimes) {
				t.Errorf("TokenLifetimes: got %v, want %v", got, tt.wantLifetimes)
			}
		})
	}
}
