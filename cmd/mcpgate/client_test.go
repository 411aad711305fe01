package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestServerURL(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr string
	}{
		{raw: "https://mcp.example.com/mcp"},
		{raw: "http://127.0.0.1:8080/mcp"},
		{raw: "http://localhost:8080/mcp"},
		{raw: "http://[::1]:8080/mcp"},
		{raw: "http://mcp.example.com/mcp", wantErr: "in the clear"},
		{raw: "ftp://mcp.example.com/mcp", wantErr: "not an http(s) URL"},
		{raw: "/mcp", wantErr: "not an http(s) URL"},
		{raw: "https://user:pw@mcp.example.com/mcp", wantErr: "no credentials"},
		{raw: "https://mcp.example.com/mcp#x", wantErr: "no fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			_, err := serverURL(tt.raw)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

// TestClientCommandsUsage: the client commands refuse what they cannot
// use before touching the network, with usage errors (2) and a message.
func TestClientCommandsUsage(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "credentials.json")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "login without a URL", args: []string{"login"}, wantCode: 2, wantErr: "usage: mcpgate login"},
		{name: "token of two URLs", args: []string{"token", "https://a.example/mcp", "https://b.example/mcp"}, wantCode: 2, wantErr: "usage"},
		{name: "connect to plain http", args: []string{"connect", "http://mcp.example.com/mcp"}, wantCode: 2, wantErr: "in the clear"},
		{name: "token before login", args: []string{"token", "--credentials", creds, "https://mcp.example.com/mcp"}, wantCode: 1, wantErr: "run mcpgate login"},
		{name: "logout before login", args: []string{"logout", "--credentials", creds, "https://mcp.example.com/mcp"}, wantCode: 0},
		{name: "account with an unknown action", args: []string{"account", "--credentials", creds, "https://mcp.example.com/mcp", "drop-all"}, wantCode: 2, wantErr: "usage"},
		{name: "account before login", args: []string{"account", "--credentials", creds, "https://mcp.example.com/mcp"}, wantCode: 1, wantErr: "sign in first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, nil, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.wantCode, tt.wantErr)
			}
		})
	}
}
