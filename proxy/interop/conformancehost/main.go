// Command conformancehost is the thin stdio MCP host the conformance
// suite's client scenarios run: it launches `mcpgate connect` for the
// server URL the suite gives, as a stdio-only host would, and does what a
// host does over it: initialize, list the tools, call them. Everything
// the scenario checks (discovery, registration, the authorization flow,
// tokens, headers) is mcpgate connect's work; the host only speaks MCP
// over stdio. The suite's authorization server approves at once, so the
// "browser" is curl following its redirect to connect's loopback
// listener.
//
// Usage: conformancehost -mcpgate PATH <server-url>
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// cimdURL is the Client ID Metadata Document URL the suite's
// authorization server knows (its basic-cimd scenario).
const cimdURL = "https://conformance-test.local/client-metadata.json"

func main() {
	mcpgate := flag.String("mcpgate", "mcpgate", "the mcpgate binary")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: conformancehost -mcpgate PATH <server-url>")
		os.Exit(2)
	}
	if err := run(*mcpgate, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "conformancehost:", err)
		os.Exit(1)
	}
}

func run(mcpgate, serverURL string) error {
	var sc struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		// Enterprise-managed authorization: the IdP and the user's sign-in.
		IdPTokenEndpoint string `json:"idp_token_endpoint"`
		IdPClientID      string `json:"idp_client_id"`
		IdPIDToken       string `json:"idp_id_token"`
		// ToolCalls, when a scenario gives them, are the calls to make.
		ToolCalls []struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		} `json:"toolCalls"`
	}
	if raw := os.Getenv("MCP_CONFORMANCE_CONTEXT"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &sc); err != nil {
			return fmt.Errorf("MCP_CONFORMANCE_CONTEXT: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "conformancehost-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	args := []string{"connect", "-v", "--credentials", filepath.Join(dir, "credentials.json"),
		"--browser", "curl -sS -L -o /dev/null --max-time 20", "--client-metadata-url", cimdURL}
	if sc.ClientID != "" {
		args = append(args, "--client-id", sc.ClientID)
	}
	if sc.IdPTokenEndpoint != "" {
		args = append(args, "--idp-token-endpoint", sc.IdPTokenEndpoint, "--idp-client-id", sc.IdPClientID)
	}
	cmd := exec.Command(mcpgate, append(args, serverURL)...)
	cmd.Env = os.Environ()
	if sc.IdPIDToken != "" {
		cmd.Env = append(cmd.Env, "MCPGATE_IDP_ID_TOKEN="+sc.IdPIDToken)
	}
	if sc.ClientSecret != "" {
		cmd.Env = append(cmd.Env, "MCPGATE_CLIENT_SECRET="+sc.ClientSecret)
	}
	cmd.Stderr = os.Stderr
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	opts := &mcp.ClientSessionOptions{}
	if v := os.Getenv("MCP_CONFORMANCE_PROTOCOL_VERSION"); v != "" {
		opts.ProtocolVersion = v
	}
	// A host that can answer what servers ask of it: elicitation is
	// accepted with no content (the multi round-trip scenarios).
	host := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-conformance-host", Version: "1"}, &mcp.ClientOptions{
		ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{}}, nil
		},
	})
	cs, err := host.Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, opts)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	if len(sc.ToolCalls) > 0 {
		for _, c := range sc.ToolCalls {
			if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.Name, Arguments: c.Arguments}); err != nil {
				return fmt.Errorf("tools/call %s: %w", c.Name, err)
			}
		}
		return nil
	}
	for _, t := range tools.Tools {
		args := map[string]any{}
		switch t.Name {
		case "add_numbers":
			args = map[string]any{"a": 2, "b": 3}
		case "json_schema_echo":
			// Echo the schema as received: the server checks that no
			// 2020-12 keyword was lost on the way (through the bridge).
			args = map[string]any{"schema": t.InputSchema}
		}
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: t.Name, Arguments: args}); err != nil {
			return fmt.Errorf("tools/call %s: %w", t.Name, err)
		}
	}
	return nil
}
