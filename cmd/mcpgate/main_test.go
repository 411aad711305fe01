package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/mcpgate/mcpgate/proxy/requestid"
)

// commandCase is one run of the command line and what it must print.
type commandCase struct {
	name       string
	args       []string
	env        []string
	wantCode   int
	wantStdout []string
	wantStderr []string
	// never may appear in neither output (a secret).
	never string
}

func runCommandCases(t *testing.T, tests []commandCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, tt.env, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if tt.never != "" && strings.Contains(stdout.String()+stderr.String(), tt.never) {
				t.Errorf("the output holds %q:\n%s%s", tt.never, stdout.String(), stderr.String())
			}
		})
	}
}

func TestCommands(t *testing.T) {
	runCommandCases(t, []commandCase{
		{
			name:     "check reports every mistake with its key",
			args:     []string{"check", "--config", "testdata/three-mistakes.yaml"},
			wantCode: 1,
			wantStderr: []string{
				"3 problem(s)", "public_url:", "upstream.client_id:", "tokens.code_ttl:",
			},
		},
		{
			name:       "check accepts a valid file",
			args:       []string{"check", "--config", "testdata/valid.yaml"},
			wantCode:   0,
			wantStdout: []string{"configuration OK", "https://mcp.example.com/mcp"},
		},
		{
			name:     "environment overrides and fixes the file",
			args:     []string{"check", "--config", "testdata/three-mistakes.yaml"},
			env:      []string{"MCPGATE_PUBLIC_URL=https://mcp.example.com", "MCPGATE_UPSTREAM_CLIENT_ID=x", "MCPGATE_TOKENS_CODE_TTL=1m"},
			wantCode: 0,
		},
		{
			name:       "check with no file uses the environment alone",
			args:       []string{"check"},
			env:        []string{"MCPGATE_PUBLIC_URL=https://mcp.example.com", "MCPGATE_UPSTREAM_ISSUER=https://idp.example.com", "MCPGATE_UPSTREAM_CLIENT_ID=x", "MCPGATE_BACKEND_URL=http://b:1/mcp", "MCPGATE_STORE=memory:"},
			wantCode:   0,
			wantStdout: []string{"configuration OK"},
		},
		{
			name:       "config path from MCPGATE_CONFIG",
			args:       []string{"check"},
			env:        []string{"MCPGATE_CONFIG=testdata/three-mistakes.yaml"},
			wantCode:   1,
			wantStderr: []string{"upstream.client_id:"},
		},
		{
			name:       "missing file",
			args:       []string{"check", "--config", "testdata/nope.yaml"},
			wantCode:   1,
			wantStderr: []string{"nope.yaml"},
		},
		{
			name:       "the example deployment config is valid",
			args:       []string{"check", "--config", "../../deploy/mcpgate.example.yaml"},
			env:        []string{"MCPGATE_UPSTREAM_CLIENT_SECRET=from-env"},
			wantCode:   0,
			wantStdout: []string{"https://mcp.example.com/mcp"},
		},
		{
			name:       "check validates the policy",
			args:       []string{"check", "--config", "testdata/bad-policy.yaml"},
			wantCode:   1,
			wantStderr: []string{"policy.rules[0].allow.tool"},
		},
		{
			name:       "check validates the policy: every problem",
			args:       []string{"check", "--config", "testdata/valid.yaml"},
			env:        []string{`MCPGATE_POLICY_RULES=[{"groups":["eng"],"scope":"mcp:write"}]`},
			wantCode:   1,
			wantStderr: []string{"3 problem(s)", "policy.rules[0].name", "policy.rules[0].scope", "allows and denies nothing"},
		},
		{
			name:       "check lists every backend's resource",
			args:       []string{"check", "--config", "testdata/valid.yaml"},
			env:        []string{`MCPGATE_BACKENDS=[{"name":"files","url":"http://files:9000/mcp"},{"name":"local","command":["sh","-c","exec cat"]}]`},
			wantCode:   0,
			wantStdout: []string{"https://mcp.example.com/mcp, https://mcp.example.com/mcp/files, https://mcp.example.com/mcp/local"},
		},
		{
			name:       "check refuses a stdio backend whose program does not exist",
			args:       []string{"check", "--config", "testdata/valid.yaml"},
			env:        []string{`MCPGATE_BACKENDS=[{"name":"local","command":["/nonexistent/server"]},{"name":"local","url":"http://x/mcp"}]`},
			wantCode:   1,
			wantStderr: []string{"backends[0].command", "not an executable", "backends[1].name", "already the name"},
		},
		{
			name:       "check refuses an OTLP protocol that is not built in",
			args:       []string{"check", "--config", "testdata/valid.yaml"},
			env:        []string{"OTEL_EXPORTER_OTLP_PROTOCOL=grpc"},
			wantCode:   1,
			wantStderr: []string{"OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "http/protobuf"},
		},
		{
			name:     "check accepts a tracing endpoint",
			args:     []string{"check", "--config", "testdata/valid.yaml"},
			env:      []string{"MCPGATE_TRACING_OTLP_ENDPOINT=http://otel-collector:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"},
			wantCode: 0,
		},
		{
			name:       "check refuses an http public URL off loopback",
			args:       []string{"check"},
			env:        []string{"MCPGATE_PUBLIC_URL=http://mcp.corp.internal", "MCPGATE_UPSTREAM_ISSUER=https://idp.example.com", "MCPGATE_UPSTREAM_CLIENT_ID=x", "MCPGATE_BACKEND_URL=http://b:1/mcp", "MCPGATE_STORE=memory:"},
			wantCode:   1,
			wantStderr: []string{"public_url: must use https"},
		},
		{
			name:       "check accepts it when explicitly allowed",
			args:       []string{"check"},
			env:        []string{"MCPGATE_PUBLIC_URL=http://mcp.corp.internal", "MCPGATE_ALLOW_INSECURE_PUBLIC_URL=true", "MCPGATE_UPSTREAM_ISSUER=https://idp.example.com", "MCPGATE_UPSTREAM_CLIENT_ID=x", "MCPGATE_BACKEND_URL=http://b:1/mcp", "MCPGATE_STORE=memory:"},
			wantCode:   0,
			wantStdout: []string{"issuer http://mcp.corp.internal"},
		},
		{name: "version", args: []string{"version"}, wantCode: 0, wantStdout: []string{"mcpgate dev"}},
		{name: "no command", args: nil, wantCode: 2, wantStderr: []string{"Usage:"}},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantStderr: []string{`unknown command "frobnicate"`}},
	})
}

func TestLoggerCarriesTheRequestAndTraceIDs(t *testing.T) {
	var buf bytes.Buffer
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
	})
	ctx := trace.ContextWithSpanContext(requestid.With(context.Background(), "abc-7"), sc)
	newLogger("info", &buf).InfoContext(ctx, "request failed")
	for _, want := range []string{`"request_id":"abc-7"`, `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`, `"span_id":"00f067aa0ba902b7"`} {
		if !strings.Contains(buf.String(), want) || !strings.HasPrefix(buf.String(), "{") {
			t.Errorf("got %q, want a JSON line with %s (not a terminal)", buf.String(), want)
		}
	}
}
