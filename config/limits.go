package config

import "time"

// Limits bound what one request, or one address, can make mcpgate do.
type Limits struct {
	// MCPBodyBytes is the largest request body the MCP endpoint accepts
	// (413 above it). The OAuth endpoints have a fixed 64 KiB limit: their
	// requests are a few hundred bytes.
	MCPBodyBytes int `yaml:"mcp_body_bytes"`
	// BodyReadTimeout is how long a request body may take to arrive, from
	// the end of its headers; a slower body is cut off (408).
	BodyReadTimeout time.Duration `yaml:"body_read_timeout"`
	// AuthorizeRateLimit is how many authorization requests (each may
	// leave a pending sign-in in the store) one address may make per hour,
	// IPv6 counted by /64, across every replica sharing the store; 0 means
	// unlimited.
	AuthorizeRateLimit int `yaml:"authorize_rate_limit"`
	// TokenRateLimit is how many token requests one address may make per
	// minute (IPv6 by /64), across replicas, failed client
	// authentications included; 0 means unlimited.
	TokenRateLimit int `yaml:"token_rate_limit"`
	// TokenClientRateLimit is how many token requests one client may make
	// per minute, across replicas; 0 means unlimited. A client metadata
	// document's id is one client for all its users.
	TokenClientRateLimit int `yaml:"token_client_rate_limit"`
	// ReadHeaderTimeout is how long a client may take to send a request's
	// headers (slowloris); IdleTimeout how long a kept-alive connection may
	// wait for its next request. There is no write timeout: MCP streams
	// last for hours.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes bounds a request's line and headers together; more
	// is answered 431. Cookies and tokens fit in far less than the
	// default.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
}

// minHeaderBytes leaves room for a real client's headers whatever the typo.
const minHeaderBytes = 4096

// minMCPBodyBytes keeps a typo (a limit in KiB or MiB instead of bytes) from
// refusing every MCP request.
const minMCPBodyBytes = 1024

func (l *Limits) validate(p *Problems) {
	if l.MCPBodyBytes < minMCPBodyBytes {
		p.add("limits.mcp_body_bytes", "must be at least %d bytes, got %d", minMCPBodyBytes, l.MCPBodyBytes)
	}
	positive(p, "limits.body_read_timeout", l.BodyReadTimeout)
	positive(p, "limits.read_header_timeout", l.ReadHeaderTimeout)
	positive(p, "limits.idle_timeout", l.IdleTimeout)
	if l.MaxHeaderBytes < minHeaderBytes {
		p.add("limits.max_header_bytes", "must be at least %d bytes, got %d", minHeaderBytes, l.MaxHeaderBytes)
	}
	for _, lim := range []struct {
		key string
		n   int
	}{{"limits.authorize_rate_limit", l.AuthorizeRateLimit}, {"limits.token_rate_limit", l.TokenRateLimit},
		{"limits.token_client_rate_limit", l.TokenClientRateLimit}} {
		if lim.n < 0 {
			p.add(lim.key, "must not be negative (0 means unlimited), got %d", lim.n)
		}
	}
}
