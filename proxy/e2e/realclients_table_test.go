package e2e_test

// What popular MCP clients really send to an authorization server, one row
// per client and registration kind, replayed by TestRealClients. The next
// quirk found is one more row. Each row names its sources; "[src]" means
// the client's own code, "[issue]" a public issue with request logs,
// "[3rd]" another server's notes or tests, "[inferred]" a deduction.
//
// Not covered, for want of any public artifact: Windsurf (closed, no
// request seen in any tracker), Cline, Continue and LibreChat (named as DCR
// clients in third-party notes, no request bodies found).

// realClient is one client's requests. A row has either register (an RFC
// 7591 body) or document (a Client ID Metadata Document served at
// documentPath on the test's HTTPS host, whose URL is the client_id).
type realClient struct {
	name    string
	sources []string

	register     map[string]any
	document     map[string]any
	documentPath string

	// redirect is the redirect_uri sent to /authorize (loopback clients
	// listen on a port of their own choosing).
	redirect string
	// authorize sets the authorization request's parameters beyond
	// client_id, redirect_uri, response_type and PKCE. resource is
	// replaced by the gateway's resource URL; "resource*2" sends it twice.
	authorize map[string]string
	// tokenAuth is how the client authenticates at /token: "none" (client_id
	// in the body), "client_secret_post", "client_secret_basic" or
	// "private_key_jwt" (an RS256 assertion by a key whose public half the
	// test serves at {{host}}/oauth/jwks.json; "{{host}}" in a document
	// value is the test's HTTPS host).
	tokenAuth string
	// tokenResource sends resource with the code exchange; refreshResource
	// and refreshScope with the refresh.
	tokenResource   bool
	refreshResource bool
	refreshScope    string
	// wantScope is the granted scope.
	wantScope string
}

const resourceParam = "resource"

var realClients = []realClient{
	{
		name: "Claude.ai connector, DCR",
		sources: []string{
			"[issue] https://github.com/anthropics/claude-ai-mcp/issues/1043 (client_secret_post at registration)",
			"[issue] https://github.com/anthropics/claude-ai-mcp/issues/124 (scope=claudeai at /authorize)",
			"[issue] https://github.com/anthropics/claude-ai-mcp/issues/667 (client_secret_post at /token)",
			"[3rd] Anthropic help article quoted in ibproduct/ib-api-tools-mcp-server docs/oauth-discovery-analysis.md (callback, client name)",
		},
		register: map[string]any{
			"client_name":                "Claude",
			"redirect_uris":              []string{"https://claude.ai/api/mcp/auth_callback"},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "client_secret_post",
			"scope":                      "claudeai",
		},
		redirect:        "https://claude.ai/api/mcp/auth_callback",
		authorize:       map[string]string{"scope": "claudeai", "state": "c2Vzc2lvbi1zdGF0ZQ", resourceParam: ""},
		tokenAuth:       "client_secret_post",
		tokenResource:   true,
		refreshResource: true,
		wantScope:       "mcp",
	},
	{
		name: "Claude Code, DCR",
		sources: []string{
			"[issue] https://github.com/anthropics/claude-code/issues/10439 (authorize parameters, localhost:<ephemeral>/callback)",
			"[issue] https://github.com/anthropics/claude-code/issues/37767, /41011 (ephemeral ports)",
			"[3rd] a Python port of Claude Code's services/mcp/auth (registration body; no resource or scope on refresh)",
		},
		register: map[string]any{
			"client_name":                "Claude Code (tools)",
			"redirect_uris":              []string{"http://localhost:56648/callback"},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
			"scope":                      "mcp",
		},
		redirect:      "http://localhost:56648/callback",
		authorize:     map[string]string{"scope": "mcp offline_access", "state": "Q2xhdWRlQ29kZVN0YXRlVmFsdWVfLTEyMw", resourceParam: ""},
		tokenAuth:     "none",
		tokenResource: true,
		wantScope:     "mcp offline_access",
	},
	{
		name: "Claude Code, metadata document",
		sources: []string{
			"[issue] https://github.com/anthropics/claude-code/issues/37747 (the document: portless loopback, no application_type)",
			"[issue] https://github.com/anthropics/claude-code/issues/64705 (redirect_uri http://127.0.0.1:52163/callback)",
		},
		documentPath: "/oauth/claude-code-client-metadata",
		document: map[string]any{
			"client_name":                "Claude Code",
			"client_uri":                 "https://claude.ai",
			"redirect_uris":              []string{"http://localhost/callback", "http://127.0.0.1/callback"},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
		},
		redirect:      "http://127.0.0.1:52163/callback",
		authorize:     map[string]string{"scope": "mcp", "state": "s", resourceParam: ""},
		tokenAuth:     "none",
		tokenResource: true,
		wantScope:     "mcp",
	},
	{
		name: "Cursor, DCR with three kinds of redirect URI",
		sources: []string{
			"[issue] https://github.com/erp-mafia/accounted/pull/2225",
			"[issue] https://github.com/soflyy/agent-connector-for-wp/issues/111",
			"[issue] https://github.com/different-ai/openwork/pull/3059",
			"[inferred] grant and response types",
		},
		register: map[string]any{
			"client_name": "Cursor",
			"redirect_uris": []string{
				"cursor://anysphere.cursor-mcp/oauth/callback",
				"https://www.cursor.com/agents/mcp/oauth/callback",
				"http://localhost:8787/callback",
			},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
		},
		redirect:  "http://localhost:8787/callback",
		authorize: map[string]string{"state": "cursor-state"},
		tokenAuth: "none",
		wantScope: "mcp",
	},
	{
		name: "VS Code, DCR with the device grant",
		sources: []string{
			"[src] https://github.com/microsoft/vscode/blob/main/src/vs/base/common/oauth.ts (fetchDynamicRegistration)",
			"[3rd] a FastMCP log of VS Code's /authorize (resource, base64 state with / and =)",
		},
		register: map[string]any{
			"client_name":                "Visual Studio Code",
			"client_uri":                 "https://code.visualstudio.com",
			"grant_types":                []string{"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"},
			"response_types":             []string{"code"},
			"redirect_uris":              []string{"https://insiders.vscode.dev/redirect", "https://vscode.dev/redirect", "http://127.0.0.1/", "http://127.0.0.1:33418/"},
			"token_endpoint_auth_method": "none",
			"application_type":           "native",
		},
		redirect:      "http://127.0.0.1:33418/",
		authorize:     map[string]string{"scope": "mcp", "state": "gXVXo0/iMD8WMolDHKxSTg==", resourceParam: ""},
		tokenAuth:     "none",
		tokenResource: true,
		wantScope:     "mcp",
	},
	{
		name: "VS Code, metadata document",
		sources: []string{
			"[src] https://github.com/microsoft/vscode/blob/main/src/vs/base/common/oauth.ts (client_id_metadata_document_supported)",
			"[3rd] copies of https://vscode.dev/oauth/client-metadata.json",
		},
		documentPath: "/oauth/client-metadata.json",
		document: map[string]any{
			"client_name":                "Visual Studio Code",
			"grant_types":                []string{"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
			"application_type":           "native",
			"client_uri":                 "https://vscode.dev/product",
			"redirect_uris":              []string{"http://127.0.0.1:33418/", "https://vscode.dev/redirect"},
		},
		redirect:      "http://127.0.0.1:33418/",
		authorize:     map[string]string{"scope": "mcp", "state": "+abc/def==", resourceParam: ""},
		tokenAuth:     "none",
		tokenResource: true,
		wantScope:     "mcp",
	},
	{
		name: "ChatGPT connector, DCR",
		sources: []string{
			"[issue] https://github.com/PrefectHQ/fastmcp/issues/1794 (/authorize with scope= empty, state oauth_s_...)",
			"[issue] https://github.com/makeplane/plane-mcp-server/pull/165 (redirect URIs)",
			"[3rd] OpenAI Apps SDK docs quoted by other servers: resource on /authorize and /token",
			"[inferred] the registration body and its default client_secret_basic",
		},
		register: map[string]any{
			"client_name":   "ChatGPT",
			"redirect_uris": []string{"https://chatgpt.com/connector_platform_oauth_redirect"},
			"grant_types":   []string{"authorization_code", "refresh_token"},
		},
		redirect:        "https://chatgpt.com/connector_platform_oauth_redirect",
		authorize:       map[string]string{"scope": "", "state": "oauth_s_8f3e2a9b7c1d4e5f", resourceParam: ""},
		tokenAuth:       "client_secret_basic",
		tokenResource:   true,
		refreshResource: true,
		wantScope:       "mcp",
	},
	{
		name: "ChatGPT connector, metadata document with private_key_jwt",
		sources: []string{
			"[3rd] copies of https://chatgpt.com/oauth/client.json (private_key_jwt, RS256, jwks_uri on chatgpt.com)",
			"[3rd] OpenAI Apps SDK docs quoted by other servers: resource on /authorize and /token, iss required",
		},
		documentPath: "/oauth/client.json",
		document: map[string]any{
			"client_uri":                            "https://chatgpt.com/",
			"redirect_uris":                         []string{"https://chatgpt.com/connector_platform_oauth_redirect"},
			"token_endpoint_auth_method":            "private_key_jwt",
			"token_endpoint_auth_methods_supported": []string{"none", "private_key_jwt"},
			"grant_types":                           []string{"authorization_code", "refresh_token"},
			"response_types":                        []string{"code"},
			"client_name":                           "ChatGPT",
			"token_endpoint_auth_signing_alg":       "RS256",
			"jwks_uri":                              "{{host}}/oauth/jwks.json",
		},
		redirect:        "https://chatgpt.com/connector_platform_oauth_redirect",
		authorize:       map[string]string{"scope": "", "state": "oauth_s_0a1b2c3d4e5f", resourceParam: ""},
		tokenAuth:       "private_key_jwt",
		tokenResource:   true,
		refreshResource: true,
		wantScope:       "mcp",
	},
	{
		name: "Codex CLI, DCR, per-server callback path, resource twice",
		sources: []string{
			"[src] https://github.com/openai/codex/blob/main/codex-rs/rmcp-client/src/perform_oauth_login.rs (callback path, second resource)",
			"[src] https://github.com/modelcontextprotocol/rust-sdk/blob/main/crates/rmcp/src/transport/auth.rs (registration body, no resource on refresh)",
			"[issue] https://github.com/openai/codex/issues/30460, /33403",
		},
		register: map[string]any{
			"client_name":                "Codex",
			"redirect_uris":              []string{"http://127.0.0.1:41235/callback/6MFBM1In3Ey-"},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"token_endpoint_auth_method": "none",
			"response_types":             []string{"code"},
		},
		redirect:      "http://127.0.0.1:41235/callback/6MFBM1In3Ey-",
		authorize:     map[string]string{"scope": "", "state": "dGhpcyBpcyBzdGF0ZQ", resourceParam + "*2": ""},
		tokenAuth:     "none",
		tokenResource: true,
		wantScope:     "mcp",
	},
	{
		name: "Codex CLI, metadata document",
		sources: []string{
			"[3rd] tests of other servers with https://chatgpt.com/oauth/codex/client.json",
		},
		documentPath: "/oauth/codex/client.json",
		document: map[string]any{
			"client_name":                "Codex",
			"redirect_uris":              []string{"http://127.0.0.1/callback", "http://localhost/callback"},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
		},
		redirect:      "http://127.0.0.1:50123/callback",
		authorize:     map[string]string{"state": "Y29kZXgtc3RhdGU", resourceParam: ""},
		tokenAuth:     "none",
		tokenResource: true,
		wantScope:     "mcp",
	},
	{
		name: "Goose, DCR",
		sources: []string{
			"[src] https://github.com/block/goose/blob/main/crates/goose/src/oauth/mod.rs (client name, /oauth_callback, iss checked)",
			"[src] rmcp registration body, as for Codex",
		},
		register: map[string]any{
			"client_name":                "goose",
			"redirect_uris":              []string{"http://127.0.0.1:43001/oauth_callback"},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"token_endpoint_auth_method": "none",
			"response_types":             []string{"code"},
		},
		redirect:      "http://127.0.0.1:43001/oauth_callback",
		authorize:     map[string]string{"state": "Z29vc2Utc3RhdGU", resourceParam: ""},
		tokenAuth:     "none",
		tokenResource: true,
		wantScope:     "mcp",
	},
	{
		name: "Goose, metadata document",
		sources: []string{
			"[src] https://github.com/block/goose/blob/main/crates/goose/src/oauth/mod.rs (https://goose-docs.ai/oauth/client-metadata.json)",
			"[inferred] the document's redirect URI (its contents were not found)",
		},
		documentPath: "/goose/oauth/client-metadata.json",
		document: map[string]any{
			"client_name":                "goose",
			"redirect_uris":              []string{"http://127.0.0.1/oauth_callback"},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
		},
		redirect:      "http://127.0.0.1:43002/oauth_callback",
		authorize:     map[string]string{"state": "s", resourceParam: ""},
		tokenAuth:     "none",
		tokenResource: true,
		wantScope:     "mcp",
	},
	{
		name: "mcp-remote, DCR, OIDC fallback scope",
		sources: []string{
			"[src] https://github.com/geelen/mcp-remote/blob/main/src/lib/node-oauth-client-provider.ts (registration body, scope forced on /authorize)",
			"[src] https://github.com/geelen/mcp-remote/blob/main/src/lib/utils.ts (getEffectiveScope: openid email profile; port from a hash)",
		},
		register: map[string]any{
			"redirect_uris":              []string{"http://localhost:14321/oauth/callback"},
			"token_endpoint_auth_method": "none",
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"client_name":                "MCP CLI Proxy",
			"client_uri":                 "https://github.com/modelcontextprotocol/mcp-cli",
			"software_id":                "2e6dc280-f3c3-4e01-99a7-8181dbd1d23d",
			"software_version":           "0.1.29",
			"scope":                      "openid email profile",
		},
		redirect:        "http://localhost:14321/oauth/callback",
		authorize:       map[string]string{"scope": "openid email profile", "state": "0b6f8a0e-3c1d-4d3e-9f2a-7e5b6c4d3a21", resourceParam: ""},
		tokenAuth:       "none",
		tokenResource:   true,
		refreshResource: true,
		refreshScope:    "openid email profile",
		wantScope:       "mcp",
	},
	{
		name: "MCP Inspector, DCR with an empty scope",
		sources: []string{
			"[src] https://github.com/modelcontextprotocol/inspector/blob/main/client/src/lib/auth.ts (registration body)",
			"[src] https://github.com/modelcontextprotocol/inspector/blob/main/client/src/utils/oauthUtils.ts (64-hex state)",
		},
		register: map[string]any{
			"redirect_uris":              []string{"http://localhost:6274/oauth/callback", "http://localhost:6274/oauth/callback/debug"},
			"token_endpoint_auth_method": "none",
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"client_name":                "MCP Inspector",
			"client_uri":                 "https://github.com/modelcontextprotocol/inspector",
			"scope":                      "",
		},
		redirect:        "http://localhost:6274/oauth/callback/debug",
		authorize:       map[string]string{"scope": "", "state": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", resourceParam: ""},
		tokenAuth:       "none",
		tokenResource:   true,
		refreshResource: true,
		wantScope:       "mcp",
	},
	{
		name: "Zed, metadata document",
		sources: []string{
			"[src] zed-industries/zed crates/context_server/src/oauth.rs (https://zed.dev/oauth/client-metadata.json, CIMD first)",
			"[3rd] a CIMD test fixture with Zed's portless loopback redirect",
		},
		documentPath: "/zed/oauth/client-metadata.json",
		document: map[string]any{
			"client_name":                "Zed",
			"redirect_uris":              []string{"http://127.0.0.1/callback"},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
		},
		redirect:      "http://127.0.0.1:61000/callback",
		authorize:     map[string]string{"state": "zed", resourceParam: ""},
		tokenAuth:     "none",
		tokenResource: true,
		wantScope:     "mcp",
	},
	{
		name: "GitHub Copilot CLI, DCR, port changed after registration",
		sources: []string{
			"[issue] https://github.com/github/copilot-cli/issues/1951",
		},
		register: map[string]any{
			"client_name":                "GitHub Copilot CLI",
			"redirect_uris":              []string{"http://127.0.0.1:40001/"},
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
		},
		redirect:  "http://127.0.0.1:40777/",
		authorize: map[string]string{"state": "copilot", resourceParam: ""},
		tokenAuth: "none",
		wantScope: "mcp",
	},
	{
		name: "VS Code, back on another port without the trailing slash",
		sources: []string{
			"[src] https://github.com/microsoft/vscode/blob/main/src/vs/base/common/oauth.ts (DEFAULT_AUTH_FLOW_PORT 33418, another port when it is taken)",
			"[issue] https://github.com/contextstream/mcp-server/issues/57",
		},
		register: map[string]any{
			"client_name":                "Visual Studio Code",
			"redirect_uris":              []string{"http://127.0.0.1:33418/"},
			"token_endpoint_auth_method": "none",
		},
		redirect:  "http://127.0.0.1:60001",
		authorize: map[string]string{"state": "vscode", resourceParam: ""},
		tokenAuth: "none",
		wantScope: "mcp",
	},
	{
		name: "TypeScript SDK client holding a secret (Claude.ai, Inspector with a confidential registration)",
		sources: []string{
			"[src] modelcontextprotocol/typescript-sdk src/client/auth.ts selectClientAuthMethod (Basic when it has a secret and the server lists client_secret_basic)",
		},
		register: map[string]any{
			"client_name":   "Claude",
			"redirect_uris": []string{"https://claude.ai/api/mcp/auth_callback"},
			"grant_types":   []string{"authorization_code", "refresh_token"},
		},
		redirect:        "https://claude.ai/api/mcp/auth_callback",
		authorize:       map[string]string{"scope": "mcp offline_access", "state": "ts-sdk", resourceParam: ""},
		tokenAuth:       "client_secret_basic",
		tokenResource:   true,
		refreshResource: true,
		wantScope:       "mcp offline_access",
	},
}
