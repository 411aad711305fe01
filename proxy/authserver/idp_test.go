package authserver

import (
	"slices"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
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

func TestEffectiveExpiry(t *testing.T) {
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name      string
		max       time.Duration
		unlimited bool
		expires   time.Time
		want      time.Time
	}{
		{"within the limit", 30 * day, false, created.Add(7 * day), created.Add(7 * day)},
		{"the limit lowered since", 7 * day, false, created.Add(30 * day), created.Add(7 * day)},
		{"no expiry, still allowed", 90 * day, true, noExpiry, noExpiry},
		{"no expiry, no longer allowed", 90 * day, false, noExpiry, created.Add(90 * day)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := store.PersonalToken{CreatedAt: created, ExpiresAt: tt.expires}
			got := effectiveExpiry(func() (time.Duration, bool) { return tt.max, tt.unlimited }, rec)
			if !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
