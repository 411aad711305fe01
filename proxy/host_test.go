package proxy

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestHostPolicy(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, public, host, peer, xfh string
		allowed                       []string
		want                          bool
	}{
		{name: "public host", public: "https://mcp.example.com", host: "mcp.example.com", want: true},
		{name: "public host, case and default port", public: "https://mcp.example.com", host: "MCP.Example.COM:443", want: true},
		{name: "public host with trailing dot", public: "https://mcp.example.com", host: "mcp.example.com.", want: true},
		{name: "public host on another port", public: "https://mcp.example.com", host: "mcp.example.com:8443"},
		{name: "rebound name", public: "http://127.0.0.1:8080", host: "evil.example.com:8080"},
		{name: "loopback public URL with its port", public: "http://127.0.0.1:8080", host: "127.0.0.1:8080", want: true},
		{name: "loopback, other port", public: "http://127.0.0.1:8080", host: "127.0.0.1:9090"},
		{name: "localhost is another name", public: "http://127.0.0.1:8080", host: "localhost:8080"},
		{name: "empty Host", public: "https://mcp.example.com", host: ""},
		{name: "allowed host, any port", public: "https://mcp.example.com", host: "mcp.internal:31337", allowed: []string{"mcp.internal"}, want: true},
		{name: "allowed host:port", public: "https://mcp.example.com", host: "mcp.internal:8080", allowed: []string{"mcp.internal:8080"}, want: true},
		{name: "allowed host:port, other port", public: "https://mcp.example.com", host: "mcp.internal:8081", allowed: []string{"mcp.internal:8080"}},
		{name: "allowed IPv6", public: "https://mcp.example.com", host: "[fd00::1]:8080", allowed: []string{"[fd00::1]"}, want: true},
		{name: "X-Forwarded-Host from a trusted proxy", public: "https://mcp.example.com", host: "10.1.2.3:8080", peer: "10.9.9.9:4000", xfh: "mcp.example.com", want: true},
		{name: "X-Forwarded-Host, last value counts", public: "https://mcp.example.com", host: "10.1.2.3:8080", peer: "10.9.9.9:4000", xfh: "mcp.example.com, evil.example.com"},
		{name: "X-Forwarded-Host from anyone else", public: "https://mcp.example.com", host: "evil.example.com", peer: "203.0.113.5:4000", xfh: "mcp.example.com"},
		{name: "trusted proxy forwarding a rebound name", public: "https://mcp.example.com", host: "mcp.example.com", peer: "10.9.9.9:4000", xfh: "evil.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newHostPolicy(tt.public, tt.allowed, trusted)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("POST", "/mcp", nil)
			r.Host = tt.host
			if tt.peer != "" {
				r.RemoteAddr = tt.peer
			}
			if tt.xfh != "" {
				r.Header.Set("X-Forwarded-Host", tt.xfh)
			}
			if got := p.allows(r); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
