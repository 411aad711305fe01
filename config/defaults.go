package config

import "time"

// Default returns the configuration used for every key that neither the
// file nor the environment sets. It leaves empty what has no safe default
// (public_url, upstream.issuer, upstream.client_id, backend.url), so that
// Validate insists on them.
//
// Store defaults to sqlite://mcpgate.db, a file in the working directory.
// The accepted store URL forms are:
//
//	sqlite:///abs/path.db   absolute path
//	sqlite://relative.db    path relative to the working directory
//	memory:                 in-process, lost on restart (tests, demos)
func Default() *Config {
	return &Config{
		Listen:        ":8080",
		ShutdownGrace: 30 * time.Second,
		Metrics:       Metrics{Listen: "127.0.0.1:9090"},
		Tracing:       Tracing{SampleRatio: 1},
		Store:         "sqlite://mcpgate.db",
		LogLevel:      "info",
		Upstream: Upstream{
			Scopes:      []string{"openid", "email", "profile"},
			GroupsClaim: "groups",
		},
		Backend: Backend{
			Timeout: 5 * time.Minute,
			IdentityHeaders: IdentityHeaders{
				User:          "X-Forwarded-User",
				Email:         "X-Forwarded-Email",
				EmailVerified: "X-Forwarded-Email-Verified",
				Groups:        "X-Forwarded-Groups",
			},
			Assertion: Assertion{TTL: 5 * time.Minute},
		},
		MCP: MCP{
			Path:   "/mcp",
			Scopes: []string{"mcp"},
		},
		Tokens: Tokens{
			AccessTokenTTL:  time.Hour,
			RefreshTokenTTL: 30 * 24 * time.Hour,
			// Codes are redeemed by the client right after the redirect;
			// a short life narrows the window for a leaked code.
			CodeTTL: 60 * time.Second,
			// Long enough to absorb a client's concurrent retries of the
			// same refresh, short enough that a stolen old token is
			// detected almost at once.
			RefreshGrace: 5 * time.Second,
			KeyRotation:  0,
			// Rotations reach every replica within this; kept short
			// because a reload is one small query.
			KeyReloadInterval: 30 * time.Second,
			// A poll is one indexed query returning what changed; every
			// few seconds is cheap, and bounds how long a revoked grant's
			// access token still works on another replica.
			RevocationPollInterval: 5 * time.Second,
		},
		Policy: Policy{SignIn: SignInPolicy{RequireVerifiedEmail: true},
			PersonalTokens: PersonalTokensPolicy{Enabled: true, MaxLifetime: 90 * 24 * time.Hour}},
		Session: Session{
			TTL:         12 * time.Hour,
			ConsentTTL:  0,
			ReuseSignIn: true,
		},
		Limits: Limits{
			// MCP requests are JSON-RPC messages, usually well under a
			// kilobyte; tool arguments carrying a file or an image are the
			// large ones.
			MCPBodyBytes: 4 << 20,
			// A body follows its headers at once; ten seconds is ample on
			// any network a person uses.
			BodyReadTimeout: 10 * time.Second,
			// Generous for a company behind one NAT address (a sign-in
			// is one request, and people sign in a few times a day);
			// at 1 KiB a pending sign-in for ten minutes, a flood from
			// one address keeps under 200 KiB in the store.
			AuthorizeRateLimit:   1000,
			TokenRateLimit:       600,
			TokenClientRateLimit: 1200,
			ReadHeaderTimeout:    10 * time.Second,
			IdleTimeout:          2 * time.Minute,
			MaxHeaderBytes:       64 << 10,
		},
		Registration: Registration{
			// MCP clients are mostly unknown in advance and register
			// themselves (RFC 7591); without it most clients cannot connect.
			DynamicEnabled: true,
			// Generous for people, tight enough to stop a script filling
			// the store with clients.
			RateLimit:       20,
			UnusedClientTTL: 24 * time.Hour,
			CIMD: CIMD{
				Enabled:  true,
				CacheMin: 5 * time.Minute,
				CacheMax: 24 * time.Hour,
			},
		},
	}
}
