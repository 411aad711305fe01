package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcpgate/mcpgate/proxy/demo"
)

func runDemo(args []string, stdout, stderr io.Writer) int {
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
