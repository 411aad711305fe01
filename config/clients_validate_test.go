package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// JSON Web Key Sets for the tests; the private one is a throwaway key.
const (
	jwksEC      = `{"keys":[{"use":"sig","kty":"EC","kid":"ci-1","crv":"P-256","alg":"ES256","x":"rieB-i3LwJNwhNFafgRHD4RsgwDWT9S8zKc9VoGn-98","y":"P8HsoIsa7Z9DvqdjWJ-z3h3XRc0UISxu7paBX1ZwTpQ"}]}`
	jwksECPriv  = `{"keys":[{"use":"sig","kty":"EC","kid":"ci-1","crv":"P-256","alg":"ES256","x":"rieB-i3LwJNwhNFafgRHD4RsgwDWT9S8zKc9VoGn-98","y":"P8HsoIsa7Z9DvqdjWJ-z3h3XRc0UISxu7paBX1ZwTpQ","d":"DUshltXwZoTbY2G8y5yUfKMZ-_fMrgbmLvOcL6-xErQ"}]}`
	jwksEd25519 = `{"keys":[{"kty":"OKP","kid":"ed-1","crv":"Ed25519","x":"-aWnJ08Sk1tuIQd53hi78gs1RNZbMcxhqTHVoEteoLo"}]}`
	jwksOct     = `{"keys":[{"kty":"oct","kid":"hmac","k":"bGVha21lbGVha21lbGVha21l"}]}`
	jwksEncOnly = `{"keys":[{"use":"enc","kty":"EC","kid":"e","crv":"P-256","x":"rieB-i3LwJNwhNFafgRHD4RsgwDWT9S8zKc9VoGn-98","y":"P8HsoIsa7Z9DvqdjWJ-z3h3XRc0UISxu7paBX1ZwTpQ"}]}`
	jwksKeyAlg  = `{"keys":[{"alg":"ECDH-ES","kty":"EC","kid":"e","crv":"P-256","x":"rieB-i3LwJNwhNFafgRHD4RsgwDWT9S8zKc9VoGn-98","y":"P8HsoIsa7Z9DvqdjWJ-z3h3XRc0UISxu7paBX1ZwTpQ"}]}`
	// A set may carry encryption keys as long as one key signs.
	jwksMixed = `{"keys":[{"use":"enc","kty":"EC","kid":"e","crv":"P-256","x":"rieB-i3LwJNwhNFafgRHD4RsgwDWT9S8zKc9VoGn-98","y":"P8HsoIsa7Z9DvqdjWJ-z3h3XRc0UISxu7paBX1ZwTpQ"},` +
		`{"kty":"OKP","kid":"ed-1","crv":"Ed25519","x":"-aWnJ08Sk1tuIQd53hi78gs1RNZbMcxhqTHVoEteoLo"}]}`

	// HashSecret("deploy-bot-secret").
	deployBotHash = "sha256:9qiAt2UxDBkickbHhqkB_MS8wSojEr4KwZQyr4Dn_po"
)

func TestValidateClients(t *testing.T) {
	client := func(id string) Client {
		return Client{ID: id, RedirectURIs: []string{"http://127.0.0.1/callback"}}
	}
	account := func(id string) ServiceAccount {
		return ServiceAccount{ID: id, Secret: "sa-secret"}
	}
	// withClient and withAccount give the config one item, changed by f.
	withClient := func(f func(cl *Client)) func(*Config) {
		return func(c *Config) {
			cl := client("a")
			f(&cl)
			c.Clients = []Client{cl}
		}
	}
	withAccount := func(f func(sa *ServiceAccount)) func(*Config) {
		return func(c *Config) {
			sa := account("a")
			f(&sa)
			c.ServiceAccounts = []ServiceAccount{sa}
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	tests := []validateCase{
		{name: "public client", change: func(c *Config) { c.Clients = []Client{client("inspector")} }},
		{
			name: "every field set",
			change: func(c *Config) {
				c.MCP.Scopes = []string{"mcp", "mcp:read"}
				c.Clients = []Client{{
					ID: "portal.example_1~a:b-c", Name: "Portal", Secret: "s", Trusted: true,
					RedirectURIs: []string{"https://portal.example.com/cb", "com.example.app:/cb", "http://[::1]:8080/cb"},
					Scopes:       []string{"mcp:read", "offline_access"},
				}}
				c.ServiceAccounts = []ServiceAccount{{
					ID: "bot", Name: "Bot", SecretHash: deployBotHash, JWKS: jwksEC,
					Groups: []string{"a", "b c"}, Scopes: []string{"mcp"}, Email: "bot@example.com",
				}}
			},
		},

		// ids
		{name: "client id missing", change: func(c *Config) { c.Clients = []Client{client("")} }, wantKeys: []string{"clients[0].id"}, wantMsg: "required"},
		{name: "client id an https URL", change: func(c *Config) { c.Clients = []Client{client("https://app.example.com/client.json")} }, wantKeys: []string{"clients[0].id"}, wantMsg: "Client ID Metadata Document"},
		{name: "client id an HTTPS URL in upper case", change: func(c *Config) { c.Clients = []Client{client("HTTPS://app.example.com")} }, wantKeys: []string{"clients[0].id"}, wantMsg: "https URL"},
		{name: "client id with a slash", change: func(c *Config) { c.Clients = []Client{client("a/b")} }, wantKeys: []string{"clients[0].id"}, wantMsg: "only letters, digits and ._~:-"},
		{name: "client id with a space", change: func(c *Config) { c.Clients = []Client{client("a b")} }, wantKeys: []string{"clients[0].id"}, wantMsg: "only letters"},
		{name: "client id non-ASCII", change: func(c *Config) { c.Clients = []Client{client("clïent")} }, wantKeys: []string{"clients[0].id"}, wantMsg: "only letters"},
		{name: "client id 200 characters", change: func(c *Config) { c.Clients = []Client{client(strings.Repeat("a", 200))} }},
		{name: "client id too long", change: func(c *Config) { c.Clients = []Client{client(strings.Repeat("a", 201))} }, wantKeys: []string{"clients[0].id"}, wantMsg: "at most 200 characters, got 201"},
		{name: "client ids duplicate", change: func(c *Config) { c.Clients = []Client{client("a"), client("b"), client("a")} }, wantKeys: []string{"clients[2].id"}, wantMsg: `"a" is already the id of clients[0]`},
		{
			name:     "service account id used by a client",
			change:   func(c *Config) { c.Clients, c.ServiceAccounts = []Client{client("x")}, []ServiceAccount{account("x")} },
			wantKeys: []string{"service_accounts[0].id"},
			wantMsg:  "already the id of clients[0]",
		},
		{name: "service account id missing", change: func(c *Config) { c.ServiceAccounts = []ServiceAccount{account("")} }, wantKeys: []string{"service_accounts[0].id"}, wantMsg: "required"},
		{name: "service account id invalid", change: func(c *Config) { c.ServiceAccounts = []ServiceAccount{account("bot@example")} }, wantKeys: []string{"service_accounts[0].id"}, wantMsg: "only letters"},

		// secrets
		{name: "client secret_hash", change: withClient(func(cl *Client) { cl.SecretHash = deployBotHash })},
		{
			name:     "client secret and secret_hash",
			change:   withClient(func(cl *Client) { cl.Secret, cl.SecretHash = "leakme", deployBotHash }),
			wantKeys: []string{"clients[0].secret_hash"},
			wantMsg:  "not both",
		},
		{
			name:     "secret_hash without prefix",
			change:   withClient(func(cl *Client) { cl.SecretHash = strings.TrimPrefix(deployBotHash, "sha256:") }),
			wantKeys: []string{"clients[0].secret_hash"},
			wantMsg:  "want sha256: followed by the 43-character",
		},
		{
			name:     "secret_hash padded",
			change:   withClient(func(cl *Client) { cl.SecretHash = deployBotHash + "=" }),
			wantKeys: []string{"clients[0].secret_hash"},
		},
		{
			name:     "secret_hash standard base64",
			change:   withClient(func(cl *Client) { cl.SecretHash = strings.ReplaceAll(deployBotHash, "_", "/") }),
			wantKeys: []string{"clients[0].secret_hash"},
		},
		{
			name:     "secret_hash hex",
			change:   withClient(func(cl *Client) { cl.SecretHash = "sha256:" + strings.Repeat("ab", 32) }),
			wantKeys: []string{"clients[0].secret_hash"},
		},
		{
			name:     "secret_hash with non-zero trailing bits",
			change:   withClient(func(cl *Client) { cl.SecretHash = deployBotHash[:len(deployBotHash)-1] + "p" }),
			wantKeys: []string{"clients[0].secret_hash"},
		},
		{
			name:     "service account secret and secret_hash",
			change:   withAccount(func(sa *ServiceAccount) { sa.SecretHash = deployBotHash }),
			wantKeys: []string{"service_accounts[0].secret_hash"},
			wantMsg:  "not both",
		},

		// redirect URIs
		{name: "client without redirect_uris", change: func(c *Config) { c.Clients = []Client{{ID: "a"}} }, wantKeys: []string{"clients[0].redirect_uris"}, wantMsg: "at least one"},
		{
			name:     "client redirect URI http on a public host",
			change:   withClient(func(cl *Client) { cl.RedirectURIs = append(cl.RedirectURIs, "http://app.example.com/cb") }),
			wantKeys: []string{"clients[0].redirect_uris[1]"},
			wantMsg:  "http is only allowed for loopback hosts",
		},
		{
			name:     "client redirect URI with a fragment",
			change:   withClient(func(cl *Client) { cl.RedirectURIs = []string{"https://app.example.com/cb#x"} }),
			wantKeys: []string{"clients[0].redirect_uris[0]"},
			wantMsg:  "fragment",
		},
		{
			name:     "client redirect URI relative",
			change:   withClient(func(cl *Client) { cl.RedirectURIs = []string{"/cb"} }),
			wantKeys: []string{"clients[0].redirect_uris[0]"},
		},
		{
			name:     "client redirect URI duplicate",
			change:   withClient(func(cl *Client) { cl.RedirectURIs = append(cl.RedirectURIs, cl.RedirectURIs[0]) }),
			wantKeys: []string{"clients[0].redirect_uris[1]"},
			wantMsg:  "duplicate of redirect_uris[0]",
		},

		// scopes
		{
			name:     "client scope not in mcp.scopes",
			change:   withClient(func(cl *Client) { cl.Scopes = []string{"mcp", "admin"} }),
			wantKeys: []string{"clients[0].scopes[1]"},
			wantMsg:  `"admin" is neither in mcp.scopes nor offline_access`,
		},
		{name: "client scope offline_access", change: withClient(func(cl *Client) { cl.Scopes = []string{"offline_access"} })},
		{
			name:     "service account scope offline_access",
			change:   withAccount(func(sa *ServiceAccount) { sa.Scopes = []string{"offline_access"} }),
			wantKeys: []string{"service_accounts[0].scopes[0]"},
			wantMsg:  `"offline_access" is not in mcp.scopes`,
		},

		// service account credentials
		{name: "service account without credential", change: func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a"}} }, wantKeys: []string{"service_accounts[0]"}, wantMsg: "needs a credential"},
		{name: "service account secret_hash only", change: func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", SecretHash: deployBotHash}} }},
		{name: "service account jwks only", change: func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: jwksEd25519}} }},
		{name: "service account jwks_file only", change: func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKSFile: "testdata/ci_jwks.json"}} }},
		{name: "service account secret and jwks", change: withAccount(func(sa *ServiceAccount) { sa.JWKS = jwksMixed })},
		{
			name: "service account jwks and jwks_file",
			change: func(c *Config) {
				c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: jwksEC, JWKSFile: "testdata/ci_jwks.json"}}
			},
			wantKeys: []string{"service_accounts[0].jwks_file"},
			wantMsg:  "set either jwks or jwks_file, not both",
		},
		{
			name:     "jwks_file missing",
			change:   func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKSFile: missing}} },
			wantKeys: []string{"service_accounts[0].jwks_file"},
			wantMsg:  "no such file",
		},
		{
			name:     "jwks_file not a key set",
			change:   func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKSFile: "testdata/ca.pem"}} },
			wantKeys: []string{"service_accounts[0].jwks_file"},
			wantMsg:  "not a JSON Web Key Set",
		},
		{
			name:     "jwks not JSON",
			change:   func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: "keys"}} },
			wantKeys: []string{"service_accounts[0].jwks"},
			wantMsg:  "not a JSON Web Key Set",
		},
		{
			name: "jwks a single key, not a set",
			change: func(c *Config) {
				c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: `{"kty":"OKP","crv":"Ed25519","x":"-aWnJ08Sk1tuIQd53hi78gs1RNZbMcxhqTHVoEteoLo"}`}}
			},
			wantKeys: []string{"service_accounts[0].jwks"},
			wantMsg:  "not a JSON Web Key Set",
		},
		{
			name:     "jwks with a private key",
			change:   func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: jwksECPriv}} },
			wantKeys: []string{"service_accounts[0].jwks"},
			wantMsg:  "jwks must hold public keys only",
		},
		{
			name:     "jwks with a symmetric key",
			change:   func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: jwksOct}} },
			wantKeys: []string{"service_accounts[0].jwks"},
			wantMsg:  "jwks must hold public keys only",
		},
		{
			name:     "jwks with an unsupported key",
			change:   func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: `{"keys":[{"kty":"XYZ"}]}`}} },
			wantKeys: []string{"service_accounts[0].jwks"},
			wantMsg:  "key 0:",
		},
		{
			name:     "jwks empty",
			change:   func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: `{"keys":[]}`}} },
			wantKeys: []string{"service_accounts[0].jwks"},
			wantMsg:  "no public key usable for signatures",
		},
		{
			name:     "jwks with encryption keys only",
			change:   func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: jwksEncOnly}} },
			wantKeys: []string{"service_accounts[0].jwks"},
			wantMsg:  "no public key usable for signatures",
		},
		{
			name:     "jwks with a key-agreement alg only",
			change:   func(c *Config) { c.ServiceAccounts = []ServiceAccount{{ID: "a", JWKS: jwksKeyAlg}} },
			wantKeys: []string{"service_accounts[0].jwks"},
			wantMsg:  "no public key usable for signatures",
		},

		// groups and email
		{
			name:     "group empty",
			change:   withAccount(func(sa *ServiceAccount) { sa.Groups = []string{"ok", " "} }),
			wantKeys: []string{"service_accounts[0].groups[1]"},
			wantMsg:  "must not be empty",
		},
		{
			name:     "group with a comma",
			change:   withAccount(func(sa *ServiceAccount) { sa.Groups = []string{"a,b"} }),
			wantKeys: []string{"service_accounts[0].groups[0]"},
			wantMsg:  "must not contain a comma",
		},
		{
			name:     "email without @",
			change:   withAccount(func(sa *ServiceAccount) { sa.Email = "bot.example.com" }),
			wantKeys: []string{"service_accounts[0].email"},
			wantMsg:  "not an email address",
		},

		{
			name: "every problem of every item",
			change: func(c *Config) {
				c.Clients = []Client{{ID: "a b", Scopes: []string{"x"}}, client("ok")}
				c.ServiceAccounts = []ServiceAccount{{ID: "ok", Email: "x", Groups: []string{""}}}
			},
			wantKeys: []string{
				"clients[0].id", "clients[0].redirect_uris", "clients[0].scopes[0]",
				"service_accounts[0].id", "service_accounts[0]", "service_accounts[0].groups[0]",
				"service_accounts[0].email",
			},
		},
	}
	runValidateCases(t, tests, "leakme", "DUshltXw")
}

func TestValidateRegistration(t *testing.T) {
	tests := []struct {
		name     string
		change   func(r *Registration)
		wantKeys []string // nil: valid
		wantMsg  string   // in the first problem
	}{
		{name: "defaults", change: func(*Registration) {}},
		{
			name: "every field set",
			change: func(r *Registration) {
				r.InitialAccessToken = "t"
				r.RedirectURIPatterns = []string{"http://127.0.0.1:*/callback", "https://*.example.com/*", "cursor://[a-z]*/cb", `https://x.example.com/\*`}
				r.RateLimit, r.UnusedClientTTL = 0, 0
				r.CIMD = CIMD{
					AllowDomains: []string{"claude.ai", "*.example.com", "xn--bcher-kva.example", "my_host.internal", "203.0.113.7", "2001:db8::1"}, DenyDomains: []string{"Evil.Example.COM"},
					CAFile: "testdata/ca.pem", AllowedNetworks: []string{"10.0.0.0/8", "fd00::/8", "192.168.1.1/32"},
					CacheMin: time.Minute, CacheMax: time.Minute,
				}
			},
		},
		{name: "pattern unclosed class", change: func(r *Registration) {
			r.RedirectURIPatterns = []string{"https://ok.example.com/*", "https://[a-z.example.com/*"}
		}, wantKeys: []string{"registration.redirect_uri_patterns[1]"}, wantMsg: "malformed pattern"},
		{name: "pattern trailing backslash", change: func(r *Registration) { r.RedirectURIPatterns = []string{`https://x.example.com/cb\`} }, wantKeys: []string{"registration.redirect_uri_patterns[0]"}, wantMsg: "malformed pattern"},
		{name: "pattern escaping the authority's end", change: func(r *Registration) { r.RedirectURIPatterns = []string{`https://x.example.com\/cb`} }, wantKeys: []string{"registration.redirect_uri_patterns[0]"}, wantMsg: "malformed pattern"},
		{name: "pattern without scheme", change: func(r *Registration) { r.RedirectURIPatterns = []string{"*.example.com/*"} }, wantKeys: []string{"registration.redirect_uri_patterns[0]"}, wantMsg: "with a scheme"},
		{name: "pattern empty", change: func(r *Registration) { r.RedirectURIPatterns = []string{""} }, wantKeys: []string{"registration.redirect_uri_patterns[0]"}},
		{name: "rate_limit negative", change: func(r *Registration) { r.RateLimit = -1 }, wantKeys: []string{"registration.rate_limit"}, wantMsg: "must not be negative"},
		{name: "unused_client_ttl negative", change: func(r *Registration) { r.UnusedClientTTL = -time.Hour }, wantKeys: []string{"registration.unused_client_ttl"}, wantMsg: "must not be negative"},
		{name: "cimd disabled is still checked", change: func(r *Registration) { r.CIMD.Enabled = false; r.CIMD.CacheMin = 0 }, wantKeys: []string{"registration.cimd.cache_min"}, wantMsg: "positive"},
		{name: "cimd cache_min zero", change: func(r *Registration) { r.CIMD.CacheMin = 0 }, wantKeys: []string{"registration.cimd.cache_min"}, wantMsg: "positive"},
		{name: "cimd cache_max negative", change: func(r *Registration) { r.CIMD.CacheMax = -time.Hour }, wantKeys: []string{"registration.cimd.cache_max"}, wantMsg: "positive"},
		{name: "cimd cache_min over cache_max", change: func(r *Registration) { r.CIMD.CacheMin = 25 * time.Hour }, wantKeys: []string{"registration.cimd.cache_min"}, wantMsg: "must not be longer than registration.cimd.cache_max (24h0m0s)"},
		{name: "cimd allowed network not CIDR", change: func(r *Registration) { r.CIMD.AllowedNetworks = []string{"10.0.0.0/8", "10.0.0.1"} }, wantKeys: []string{"registration.cimd.allowed_networks[1]"}, wantMsg: "not a CIDR prefix"},
		{name: "cimd allowed network bad bits", change: func(r *Registration) { r.CIMD.AllowedNetworks = []string{"10.0.0.0/33"} }, wantKeys: []string{"registration.cimd.allowed_networks[0]"}},
		{name: "cimd allow domain URL", change: func(r *Registration) { r.CIMD.AllowDomains = []string{"https://claude.ai"} }, wantKeys: []string{"registration.cimd.allow_domains[0]"}, wantMsg: "neither a host name, an IP address nor *."},
		{name: "cimd allow domain bare wildcard", change: func(r *Registration) { r.CIMD.AllowDomains = []string{"*"} }, wantKeys: []string{"registration.cimd.allow_domains[0]"}},
		{name: "cimd allow domain inner wildcard", change: func(r *Registration) { r.CIMD.AllowDomains = []string{"a.*.example.com"} }, wantKeys: []string{"registration.cimd.allow_domains[0]"}},
		{name: "cimd allow domain wildcard alone", change: func(r *Registration) { r.CIMD.AllowDomains = []string{"*."} }, wantKeys: []string{"registration.cimd.allow_domains[0]"}},
		{name: "cimd deny domain with port", change: func(r *Registration) { r.CIMD.DenyDomains = []string{"evil.example.com:443"} }, wantKeys: []string{"registration.cimd.deny_domains[0]"}},
		{name: "cimd deny domain empty label", change: func(r *Registration) { r.CIMD.DenyDomains = []string{"evil..example.com"} }, wantKeys: []string{"registration.cimd.deny_domains[0]"}},
		{name: "cimd deny domain wildcard IP", change: func(r *Registration) { r.CIMD.DenyDomains = []string{"*.10.0.0.1"} }, wantKeys: []string{"registration.cimd.deny_domains[0]"}},
		{name: "cimd deny domain with a space", change: func(r *Registration) { r.CIMD.DenyDomains = []string{"evil .example.com"} }, wantKeys: []string{"registration.cimd.deny_domains[0]"}},
		{name: "cimd ca_file missing", change: func(r *Registration) { r.CIMD.CAFile = "testdata/absent.pem" }, wantKeys: []string{"registration.cimd.ca_file"}, wantMsg: "no such file"},
		{name: "cimd ca_file without certificates", change: func(r *Registration) { r.CIMD.CAFile = "testdata/ci_jwks.json" }, wantKeys: []string{"registration.cimd.ca_file"}, wantMsg: "holds no PEM certificate"},
	}
	cases := make([]validateCase, len(tests))
	for i, tt := range tests {
		cases[i] = validateCase{name: tt.name, change: func(c *Config) { tt.change(&c.Registration) }, wantKeys: tt.wantKeys, wantMsg: tt.wantMsg}
	}
	runValidateCases(t, cases)
}
