package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcpgate/mcpgate/proxy/demo"
)

func runDemo(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "backend" {
		return runDemoBackend(args[1:], stderr)
	}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "loopback address to serve on")
	store := fs.String("store", "", "store URL (default: a SQLite file in the temp directory)")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := demo.Run(ctx, demo.Options{
		Listen: *listen,
		Store:  *store,
		Out:    stdout,
		Logger: newLogger(*logLevel, stderr),
	})
	if err != nil {
		fmt.Fprintf(stderr, "mcpgate demo: %v\n", err)
		return 1
	}
	return 0
}

// runDemoBackend serves the demo MCP backend alone, for an mcpgate that
// runs elsewhere (deploy/compose). It believes the identity headers it is
// sent, as a backend behind mcpgate does: only mcpgate may reach it.
func runDemoBackend(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo backend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:3000", "address to serve the demo MCP backend on, at /mcp")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "mcpgate demo backend: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "demo MCP backend at http://%s/mcp\n", ln.Addr())
	if err := demo.ServeBackend(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "mcpgate demo backend: %v\n", err)
		return 1
	}
	return 0
}
