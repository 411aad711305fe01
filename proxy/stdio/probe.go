package stdio

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Probe starts the backend's program as a session would (the same
// environment, without a user's identity), initializes it and stops it:
// what `mcpgate check --probe` reports. It returns the server's name and
// version.
func Probe(ctx context.Context, opts Options) (string, error) {
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return "", fmt.Errorf("stdio: a command is required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	hideOnce(log)
	cmd := exec.Command(opts.Command[0], opts.Command[1:]...)
	cmd.Env = childEnv(opts, nil)
	transport := &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-check", Version: "1"}, nil).
		Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		return "", fmt.Errorf("stdio: start and initialize %s: %w", opts.Command[0], err)
	}
	defer cs.Close()
	info := cs.InitializeResult().ServerInfo
	if info == nil {
		return "an unnamed server", nil
	}
	return info.Name + " " + info.Version, nil
}
