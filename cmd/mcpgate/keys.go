package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/mcpgate/mcpgate/proxy/app"
	"github.com/mcpgate/mcpgate/proxy/signer"
)

func keys(args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprintf(stderr, "mcpgate keys: want a subcommand: rotate\n")
		return 2
	}
	cfg, code := loadConfig("keys rotate", args[1:], environ, stderr)
	if cfg == nil {
		return code
	}
	ctx := context.Background()
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mcpgate keys rotate: %v\n", err)
		return 1
	}
	defer st.Close()
	opts, err := app.SignerOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var m *signer.Manager
	if err == nil {
		m, err = signer.New(ctx, st, opts)
	}
	if err == nil {
		err = m.Rotate(ctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpgate keys rotate: %v\n", err)
		return 1
	}
	set, err := m.KeySet(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "mcpgate keys rotate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "rotated: %d key(s) published; the new key signs once every replica has loaded it\n", len(set.Keys))
	return 0
}
