package config

import (
	"slices"
	"testing"
)

func TestIssuerAndURLs(t *testing.T) {
	tests := []struct {
		name         string
		publicURL    string
		mcpPath      string
		redirectURL  string
		wantIssuer   string
		wantResource string
		wantCallback string
	}{
		{
			name:         "plain",
			publicURL:    "https://mcp.example.com",
			mcpPath:      "/mcp",
			wantIssuer:   "https://mcp.example.com",
			wantResource: "https://mcp.example.com/mcp",
			wantCallback: "https://mcp.example.com/oauth/callback",
		},
		{
			name:         "trailing slash and upper case",
			publicURL:    "HTTPS://MCP.Example.COM/",
			mcpPath:      "/api/mcp",
			wantIssuer:   "https://mcp.example.com",
			wantResource: "https://mcp.example.com/api/mcp",
			wantCallback: "https://mcp.example.com/oauth/callback",
		},
		{
			name:         "loopback with port",
			publicURL:    "http://127.0.0.1:8080/",
			mcpPath:      "/mcp",
			wantIssuer:   "http://127.0.0.1:8080",
			wantResource: "http://127.0.0.1:8080/mcp",
			wantCallback: "http://127.0.0.1:8080/oauth/callback",
		},
		{
			name:         "explicit redirect URL",
			publicURL:    "https://mcp.example.com",
			mcpPath:      "/mcp",
			redirectURL:  "https://mcp.example.com/cb",
			wantIssuer:   "https://mcp.example.com",
			wantResource: "https://mcp.example.com/mcp",
			wantCallback: "https://mcp.example.com/cb",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			c.PublicURL, c.MCP.Path, c.Upstream.RedirectURL = tt.publicURL, tt.mcpPath, tt.redirectURL
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: got %v, want nil", err)
			}
			if got := c.Issuer(); got != tt.wantIssuer {
				t.Errorf("Issuer: got %q, want %q", got, tt.wantIssuer)
			}
			if got := c.ResourceURL(); got != tt.wantResource {
				t.Errorf("ResourceURL: got %q, want %q", got, tt.wantResource)
			}
			if got := c.CallbackURL(); got != tt.wantCallback {
				t.Errorf("CallbackURL: got %q, want %q", got, tt.wantCallback)
			}
		})
	}
}

func TestUpstreamScopes(t *testing.T) {
	tests := []struct {
		name   string
		scopes []string
		want   []string
	}{
		{name: "default", scopes: Default().Upstream.Scopes, want: []string{"openid", "email", "profile"}},
		{name: "none", scopes: nil, want: []string{"openid"}},
		{name: "openid added", scopes: []string{"email"}, want: []string{"openid", "email"}},
		{name: "openid moved first", scopes: []string{"email", "openid", "groups"}, want: []string{"openid", "email", "groups"}},
		{name: "duplicates and empties dropped", scopes: []string{"email", "", "email", "openid", "openid"}, want: []string{"openid", "email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			c.Upstream.Scopes = tt.scopes
			if got := c.UpstreamScopes(); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUpstreamScopesDoesNotAlias(t *testing.T) {
	c := validConfig()
	got := c.UpstreamScopes()
	got[1] = "changed"
	if c.Upstream.Scopes[0] == "changed" || c.Upstream.Scopes[1] == "changed" {
		t.Errorf("got config scopes %q, want them unchanged by editing the result", c.Upstream.Scopes)
	}
}

func TestStoreURL(t *testing.T) {
	tests := []struct {
		name         string
		store        string
		wantScheme   string
		wantLocation string
		wantErr      bool
	}{
		{name: "default", store: Default().Store, wantScheme: StoreSQLite, wantLocation: "mcpgate.db"},
		{name: "sqlite absolute", store: "sqlite:///var/lib/mcpgate/db.sqlite", wantScheme: StoreSQLite, wantLocation: "/var/lib/mcpgate/db.sqlite"},
		{name: "sqlite relative", store: "sqlite://rel.db", wantScheme: StoreSQLite, wantLocation: "rel.db"},
		{name: "sqlite relative in a directory", store: "sqlite://data/mcpgate.db", wantScheme: StoreSQLite, wantLocation: "data/mcpgate.db"},
		{name: "scheme case", store: "SQLite://rel.db", wantScheme: StoreSQLite, wantLocation: "rel.db"},
		{name: "memory", store: "memory:", wantScheme: StoreMemory, wantLocation: ""},
		{name: "memory with slashes", store: "memory://", wantScheme: StoreMemory, wantLocation: ""},
		{name: "sqlite without path", store: "sqlite://", wantErr: true},
		{name: "sqlite opaque", store: "sqlite:rel.db", wantErr: true},
		{name: "memory with location", store: "memory:foo", wantErr: true},
		{name: "postgres", store: "postgres://u:pw@db:5432/mcpgate?sslmode=require", wantScheme: StorePostgres, wantLocation: "postgres://u:pw@db:5432/mcpgate?sslmode=require"},
		{name: "postgresql", store: "postgresql://db/mcpgate", wantScheme: StorePostgres, wantLocation: "postgresql://db/mcpgate"},
		{name: "postgres without host", store: "postgres:", wantErr: true},
		{name: "redis", store: "redis://cache:6379/2", wantScheme: StoreRedis, wantLocation: "redis://cache:6379/2"},
		{name: "rediss", store: "rediss://cache:6380", wantScheme: StoreRedis, wantLocation: "rediss://cache:6380"},
		{name: "redis without host", store: "redis://", wantErr: true},
		{name: "no scheme", store: "mcpgate.db", wantErr: true},
		{name: "empty", store: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			c.Store = tt.store
			scheme, location, err := c.StoreURL()
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error: %v", err, tt.wantErr)
			}
			if scheme != tt.wantScheme || location != tt.wantLocation {
				t.Errorf("got (%q, %q), want (%q, %q)", scheme, location, tt.wantScheme, tt.wantLocation)
			}
		})
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a, b := Default(), Default()
	a.Upstream.Scopes[0] = "changed"
	a.MCP.Scopes[0] = "changed"
	if b.Upstream.Scopes[0] != "openid" || b.MCP.Scopes[0] != "mcp" {
		t.Errorf("got %q and %q, want each Default to have its own slices", b.Upstream.Scopes, b.MCP.Scopes)
	}
}
