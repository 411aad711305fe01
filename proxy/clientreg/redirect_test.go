package clientreg

import (
	"strings"
	"testing"
)

func TestValidateRedirectURI(t *testing.T) {
	long := "https://x.example/" + strings.Repeat("a", MaxURILength)
	tests := []struct {
		name    string
		raw     string
		appType string
		// wantErr is a substring of the expected error; empty means valid.
		wantErr string
	}{
		// Real clients.
		{name: "Cursor custom scheme native", raw: "cursor://anysphere.cursor-mcp/oauth/callback", appType: "native"},
		{name: "Cursor custom scheme no type", raw: "cursor://anysphere.cursor-mcp/oauth/callback"},
		{name: "VS Code loopback IPv4 with slash", raw: "http://127.0.0.1:33418/", appType: "native"},
		{name: "VS Code localhost random port", raw: "http://localhost:52123/", appType: "native"},
		{name: "VS Code vscode scheme", raw: "vscode://vscode.github-authentication/did-authenticate", appType: "native"},
		{name: "mcp-remote", raw: "http://localhost:9876/oauth/callback", appType: "native"},
		{name: "Claude.ai web", raw: "https://claude.ai/api/mcp/auth_callback", appType: "web"},
		{name: "Claude desktop scheme", raw: "claude://", appType: "native"},
		{name: "MCP Inspector", raw: "http://localhost:6274/oauth/callback", appType: "web"},

		// Accepted forms.
		{name: "https with port and query", raw: "https://app.example.com:8443/cb?tenant=a", appType: "web"},
		{name: "https for native", raw: "https://app.example.com/cb", appType: "native"},
		{name: "https IPv4 literal", raw: "https://192.0.2.1/cb", appType: "web"},
		{name: "https IPv6 literal", raw: "https://[2001:db8::1]/cb", appType: "web"},
		{name: "loopback no port", raw: "http://127.0.0.1/cb", appType: "native"},
		{name: "loopback no path", raw: "http://localhost:8080", appType: "native"},
		{name: "loopback 127/8", raw: "http://127.10.20.30:1/cb", appType: "native"},
		{name: "loopback IPv6", raw: "http://[::1]:8080/cb", appType: "native"},
		{name: "loopback for web", raw: "http://localhost:3000/callback", appType: "web"},
		{name: "loopback port 65535", raw: "http://localhost:65535/cb", appType: "native"},
		{name: "reverse domain scheme", raw: "com.example.app:/oauth2redirect/example-provider", appType: "native"},
		{name: "reverse domain scheme two slashes", raw: "com.example.app://cb", appType: "native"},
		{name: "percent-encoded path", raw: "https://x.example/a%20b", appType: "web"},
		{name: "custom scheme with URL in query", raw: "com.example.app:/cb?next=https://a*b%41", appType: "native"},
		{name: "upper case https scheme", raw: "HTTPS://x.example/cb", appType: "web"},

		// Refused: structure.
		{name: "empty", raw: "", wantErr: "empty"},
		{name: "relative path", raw: "/callback", wantErr: "not an absolute URI"},
		{name: "scheme-relative", raw: "//x.example/cb", wantErr: "not an absolute URI"},
		{name: "unparseable", raw: "https://[::1/cb", wantErr: "cannot be parsed"},
		{name: "unparseable port", raw: "http://localhost:80:80/cb", wantErr: "cannot be parsed"},
		{name: "too long", raw: long, wantErr: "longer than 2000"},
		{name: "empty fragment", raw: "https://x.example/cb#", wantErr: "fragment"},
		{name: "fragment", raw: "https://x.example/cb#frag", wantErr: "fragment"},
		{name: "loopback fragment", raw: "http://localhost:1/cb#x", wantErr: "fragment"},
		{name: "custom scheme fragment", raw: "com.example.app:/cb#x", appType: "native", wantErr: "fragment"},

		// Refused: dangerous schemes, any case.
		{name: "javascript upper case", raw: "JAVASCRIPT:alert(1)", wantErr: "forbidden scheme"},
		{name: "javascript", raw: "javascript:alert(1)", wantErr: "forbidden scheme"},
		{name: "javascript mixed case slashes", raw: "JavaScript://x.example/%0aalert(1)", wantErr: "forbidden scheme"},
		{name: "data", raw: "data:text/html,<script>alert(1)</script>", wantErr: "not allowed in a URI"},
		{name: "data base64", raw: "data:text/html;base64,PHNjcmlwdD4=", wantErr: "forbidden scheme"},
		{name: "vbscript", raw: "vbscript:msgbox(1)", wantErr: "forbidden scheme"},
		{name: "file", raw: "file:///etc/passwd", wantErr: "forbidden scheme"},
		{name: "blob", raw: "blob:https://x.example/uuid", wantErr: "forbidden scheme"},
		{name: "about", raw: "about:blank", wantErr: "forbidden scheme"},
		{name: "about upper case", raw: "ABOUT:blank", wantErr: "forbidden scheme"},
		{name: "view-source", raw: "view-source:https://x.example/", wantErr: "forbidden scheme"},

		// Refused: http beyond loopback, hosts.
		{name: "http non-loopback", raw: "http://x.example/cb", wantErr: "only allowed for loopback"},
		{name: "http private address", raw: "http://192.168.1.10/cb", wantErr: "only allowed for loopback"},
		{name: "http localhost look-alike", raw: "http://localhost.evil.example/cb", wantErr: "only allowed for loopback"},
		{name: "http localhost trailing dot", raw: "http://localhost./cb", wantErr: "only allowed for loopback"},
		{name: "http LOCALHOST", raw: "http://LOCALHOST/cb", wantErr: "only allowed for loopback"},
		{name: "http short 127", raw: "http://127.1/cb", wantErr: "only allowed for loopback"},
		{name: "http hex 127", raw: "http://0x7f.0.0.1/cb", wantErr: "only allowed for loopback"},
		{name: "http long IPv6 loopback", raw: "http://[0:0:0:0:0:0:0:1]/cb", wantErr: "only allowed for loopback"},
		{name: "http IPv4-mapped loopback", raw: "http://[::ffff:127.0.0.1]/cb", wantErr: "only allowed for loopback"},
		{name: "http 0.0.0.0", raw: "http://0.0.0.0:8080/cb", wantErr: "only allowed for loopback"},
		{name: "http without host", raw: "http:///cb", wantErr: "must have a host"},
		{name: "https without host", raw: "https:///cb", wantErr: "must have a host"},
		{name: "https opaque", raw: "https:x.example/cb", wantErr: "must have a host"},
		{name: "userinfo", raw: "https://user@x.example/cb", wantErr: "userinfo"},
		{name: "userinfo look-alike", raw: "https://good.example.com@evil.example/cb", wantErr: "userinfo"},
		{name: "empty userinfo", raw: "https://@x.example/cb", wantErr: "userinfo"},
		{name: "loopback userinfo", raw: "http://evil.example@localhost/cb", wantErr: "userinfo"},
		{name: "wildcard host", raw: "https://*.example.com/cb", wantErr: "wildcard"},
		{name: "wildcard custom host", raw: "myapp://*/cb", appType: "native", wantErr: "wildcard"},
		{name: "percent-encoded host", raw: "https://x%2eexample/cb", wantErr: "cannot be parsed"},
		{name: "percent-encoded non-ASCII host", raw: "https://x%C3%A9.example/cb", wantErr: "percent-encode the host"},
		{name: "percent-encoded custom host", raw: "myapp://a%C3%A9/cb", appType: "native", wantErr: "percent-encode the host"},
		{name: "percent-encoded loopback zone", raw: "http://[::1%25lo]/cb", wantErr: "percent-encode the host"},
		{name: "empty port", raw: "https://x.example:/cb", wantErr: "empty port"},
		{name: "port zero", raw: "http://localhost:0/cb", wantErr: "invalid port"},
		{name: "port too big", raw: "http://localhost:65536/cb", wantErr: "invalid port"},
		{name: "port leading zero", raw: "http://localhost:08080/cb", wantErr: "invalid port"},
		{name: "numeric non-canonical host", raw: "https://1.2.3/cb", wantErr: "numeric host"},
		{name: "host with sub-delims", raw: "https://x!y.example/cb", wantErr: "invalid host name"},
		{name: "host empty label", raw: "https://x..example/cb", wantErr: "invalid host name"},
		{name: "host trailing dot", raw: "https://x.example./cb", wantErr: "invalid host name"},

		// Refused: characters.
		{name: "space", raw: "https://x.example/c b", wantErr: "whitespace"},
		{name: "leading space", raw: " https://x.example/cb", wantErr: "whitespace"},
		{name: "tab in scheme", raw: "java\tscript:alert(1)", wantErr: "control character"},
		{name: "newline", raw: "https://x.example/cb\n", wantErr: "control character"},
		{name: "NUL", raw: "https://x.example\x00.evil.example/cb", wantErr: "control character"},
		{name: "DEL", raw: "https://x.example/\x7f", wantErr: "control character"},
		{name: "backslash", raw: "https://evil.example\\@good.example/cb", wantErr: "not allowed in a URI"},
		{name: "non-ASCII host", raw: "https://gооgle.com/cb", wantErr: "non-ASCII"},
		{name: "fullwidth solidus", raw: "https://good.example\uff0fevil/cb", wantErr: "non-ASCII"},
		{name: "malformed percent", raw: "https://x.example/%zz", wantErr: "malformed percent"},
		{name: "truncated percent", raw: "https://x.example/%4", wantErr: "malformed percent"},

		// Refused: application type.
		{name: "custom scheme for web", raw: "cursor://anysphere.cursor-mcp/oauth/callback", appType: "web", wantErr: "only native clients"},
		{name: "unknown application type", raw: "https://x.example/cb", appType: "desktop", wantErr: "unknown application_type"},
		{name: "custom scheme without slash", raw: "myapp:callback", appType: "native", wantErr: "must continue with '/'"},
		{name: "host:port read as scheme", raw: "localhost:8080", appType: "native", wantErr: "must continue with '/'"},
		{name: "bare scheme", raw: "myapp:", appType: "native", wantErr: "must continue with '/'"},
		{name: "mailto", raw: "mailto:a@x.example", appType: "native", wantErr: "must continue with '/'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateRedirectURI(tc.raw, tc.appType)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("ValidateRedirectURI(%q, %q) = %v, want nil", tc.raw, tc.appType, err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("ValidateRedirectURI(%q, %q) = nil, want error containing %q", tc.raw, tc.appType, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("ValidateRedirectURI(%q, %q) = %q, want error containing %q", tc.raw, tc.appType, err, tc.wantErr)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want bool
	}{
		{"localhost", "http://localhost:52123/", true},
		{"localhost no port", "http://localhost/cb", true},
		{"127.0.0.1", "http://127.0.0.1:33418/", true},
		{"127.x.y.z", "http://127.255.0.7/cb", true},
		{"IPv6", "http://[::1]:9/cb", true},
		{"https localhost", "https://localhost:8443/cb", false},
		{"http remote", "http://x.example/cb", false},
		{"localhost subdomain", "http://localhost.evil.example/cb", false},
		{"127 prefix name", "http://127.0.0.1.evil.example/cb", false},
		{"userinfo", "http://a@localhost/cb", false},
		{"fragment", "http://localhost/cb#", false},
		{"custom scheme", "cursor://anysphere.cursor-mcp/oauth/callback", false},
		{"empty", "", false},
		{"garbage", "::::", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsLoopback(tc.raw); got != tc.want {
				t.Fatalf("IsLoopback(%q) = %v, want %v", tc.raw, got, tc.want)
			}
		})
	}
}

func TestMatchRedirectURI(t *testing.T) {
	claude := []string{"https://claude.ai/api/mcp/auth_callback"}
	tests := []struct {
		name       string
		registered []string
		requested  string
		want       bool
	}{
		// Exact.
		{"exact https", claude, "https://claude.ai/api/mcp/auth_callback", true},
		{"exact among several", []string{"https://a.example/cb", "cursor://anysphere.cursor-mcp/oauth/callback"}, "cursor://anysphere.cursor-mcp/oauth/callback", true},
		{"exact custom scheme", []string{"com.example.app:/cb"}, "com.example.app:/cb", true},
		{"exact loopback", []string{"http://localhost:9876/oauth/callback"}, "http://localhost:9876/oauth/callback", true},
		{"empty requested", claude, "", false},
		{"nothing registered", nil, "https://claude.ai/api/mcp/auth_callback", false},

		// Loopback port rule.
		{"loopback other port", []string{"http://localhost:9876/oauth/callback"}, "http://localhost:41234/oauth/callback", true},
		{"loopback registered without port", []string{"http://127.0.0.1/callback"}, "http://127.0.0.1:33418/callback", true},
		{"loopback requested without port", []string{"http://127.0.0.1:33418/callback"}, "http://127.0.0.1/callback", true},
		{"loopback IPv6 other port", []string{"http://[::1]:1/cb"}, "http://[::1]:2/cb", true},
		{"loopback 127.x other port", []string{"http://127.0.0.2:1/cb"}, "http://127.0.0.2:2/cb", true},
		{"loopback same query", []string{"http://localhost:1/cb?a=1"}, "http://localhost:2/cb?a=1", true},

		// VS Code trailing slash on loopback.
		{"loopback slash vs none", []string{"http://127.0.0.1:33418/"}, "http://127.0.0.1:50000", true},
		{"loopback none vs slash", []string{"http://127.0.0.1"}, "http://127.0.0.1:33418/", true},
		{"loopback path trailing slash", []string{"http://localhost:1/callback/"}, "http://localhost:2/callback", true},
		{"loopback path slash added", []string{"http://localhost:1/callback"}, "http://localhost:1/callback/", true},
		{"loopback double slash", []string{"http://localhost:1/callback"}, "http://localhost:1/callback//", false},
		{"https trailing slash", []string{"https://x.example/cb"}, "https://x.example/cb/", false},

		// Refused.
		{"loopback different path", []string{"http://localhost:1/callback"}, "http://localhost:1/other", false},
		{"loopback path prefix", []string{"http://localhost:1/callback"}, "http://localhost:1/callback/extra", false},
		{"loopback localhost vs 127.0.0.1", []string{"http://localhost:1/cb"}, "http://127.0.0.1:1/cb", false},
		{"loopback 127.0.0.1 vs localhost", []string{"http://127.0.0.1/cb"}, "http://localhost/cb", false},
		{"loopback IPv4 vs IPv6", []string{"http://127.0.0.1/cb"}, "http://[::1]/cb", false},
		{"loopback to https", []string{"http://localhost/cb"}, "https://localhost:8443/cb", false},
		{"loopback query differs", []string{"http://localhost:1/cb?a=1"}, "http://localhost:2/cb?a=2", false},
		{"loopback query added", []string{"http://localhost:1/cb"}, "http://localhost:2/cb?x=1", false},
		{"loopback empty query added", []string{"http://localhost:1/cb"}, "http://localhost:2/cb?", false},
		{"loopback fragment added", []string{"http://localhost:1/cb"}, "http://localhost:2/cb#x", false},
		{"loopback userinfo added", []string{"http://localhost/cb"}, "http://evil@localhost:2/cb", false},
		{"loopback encoded path", []string{"http://localhost/cb"}, "http://localhost:2/%63b", false},
		{"loopback dot segment", []string{"http://localhost/cb"}, "http://localhost:2/x/../cb", false},
		{"loopback upper case scheme", []string{"http://localhost/cb"}, "HTTP://localhost:2/cb", false},
		{"loopback invalid port", []string{"http://localhost/cb"}, "http://localhost:99999/cb", false},
		{"loopback look-alike host", []string{"http://localhost/cb"}, "http://localhost.evil.example:2/cb", false},
		{"https port differs", []string{"https://x.example/cb"}, "https://x.example:8443/cb", false},
		{"https default port spelled", []string{"https://x.example/cb"}, "https://x.example:443/cb", false},
		{"https query differs", []string{"https://x.example/cb?a=1"}, "https://x.example/cb?a=2", false},
		{"https query added", claude, "https://claude.ai/api/mcp/auth_callback?x=1", false},
		{"https path differs", claude, "https://claude.ai/api/mcp/other", false},
		{"https host case", claude, "https://CLAUDE.ai/api/mcp/auth_callback", false},
		{"custom scheme path differs", []string{"cursor://anysphere.cursor-mcp/oauth/callback"}, "cursor://anysphere.cursor-mcp/oauth/other", false},

		// Attacker look-alikes of a registered https URI.
		{"suffix domain", []string{"https://good.example.com/cb"}, "https://good.example.com.evil.com/cb", false},
		{"userinfo trick", []string{"https://good.example.com/cb"}, "https://good.example.com@evil.com/cb", false},
		{"encoded at", []string{"https://good.example.com/cb"}, "https://good.example.com%40evil.com/cb", false},
		{"encoded path", []string{"https://good.example.com/cb"}, "https://good.example.com/%63b", false},
		{"backslash", []string{"https://good.example.com/cb"}, "https://evil.com\\@good.example.com/cb", false},
		{"fragment appended", []string{"https://good.example.com/cb"}, "https://good.example.com/cb#@evil.com", false},
		{"path traversal", []string{"https://good.example.com/cb"}, "https://good.example.com/cb/../../evil", false},
		{"trailing whitespace", []string{"https://good.example.com/cb"}, "https://good.example.com/cb ", false},
		{"trailing NUL", []string{"https://good.example.com/cb"}, "https://good.example.com/cb\x00", false},
		{"scheme downgrade", []string{"https://good.example.com/cb"}, "http://good.example.com/cb", false},
		{"loopback registered, remote requested", []string{"http://localhost/cb"}, "http://evil.com/cb", false},
		{"loopback registered, 127 prefix name", []string{"http://127.0.0.1/cb"}, "http://127.0.0.1.evil.com/cb", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := MatchRedirectURI(tc.registered, tc.requested)
			if ok != tc.want {
				t.Fatalf("MatchRedirectURI(%q, %q) ok = %v, want %v", tc.registered, tc.requested, ok, tc.want)
			}
			want := ""
			if tc.want {
				want = tc.requested
			}
			if got != want {
				t.Fatalf("MatchRedirectURI(%q, %q) = %q, want %q", tc.registered, tc.requested, got, want)
			}
		})
	}
}
