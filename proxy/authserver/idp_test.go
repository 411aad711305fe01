package authserver

import (
	"slices"
	"testing"

	"github.com/mcpgate/mcpgate/upstream"
)

func TestVouchable(t *testing.T) {
	several := []IdP{{Name: "corp", EmailDomains: []string{"corp.example"}}, {Name: "partners"}}
	isolate(several)
	alone := IdP{}
	ann := upstream.Identity{Subject: "https://p#ann", Email: "ann@corp.example", EmailVerified: true, Groups: []string{"mcp-admins"}}
	tests := []struct {
		name       string
		idp        IdP
		in         upstream.Identity
		wantEmail  string
		wantGroups []string
	}{
		{"the only IdP: groups and email as given", alone, ann, "ann@corp.example", []string{"mcp-admins"}},
		{"one of several: groups carry its name", several[0], ann, "ann@corp.example", []string{"corp:mcp-admins"}},
		{"another IdP's email domain is not believed", several[1], ann, "", []string{"partners:mcp-admins"}},
		{"an unverified email is dropped", alone, upstream.Identity{Subject: "s", Email: "x@y.example"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.idp.vouchable(tt.in)
			if got.Email != tt.wantEmail || !slices.Equal(got.Groups, tt.wantGroups) || got.IdP != tt.idp.Name {
				t.Errorf("got email %q groups %v idp %q, want %q %v %q", got.Email, got.Groups, got.IdP, tt.wantEmail, tt.wantGroups, tt.idp.Name)
			}
		})
	}
}
