package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/app"
	"github.com/mcpgate/mcpgate/upstream/devidp"
)

// IdPPath is where the development IdP is mounted on mcpgate's listener.
const IdPPath = "/_devidp"

// Options configure the demo.
type Options struct {
	// Listen is mcpgate's address; it must be a loopback address, since
	// the demo IdP lets anyone sign in as anyone.
	Listen string
	// Store is the store URL; default: a SQLite file in the temp dir.
	Store  string
	Out    io.Writer
	Logger *slog.Logger
	// Ready, if set, receives the MCP URL once everything serves.
	Ready chan<- string
}

// Run serves the demo until ctx ends.
func Run(ctx context.Context, opts Options) error {
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	defer ln.Close()
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		return errors.New("demo: refusing to listen on a non-loopback address: the demo IdP signs in anyone")
	}
	base := "http://" + ln.Addr().String()
	backendURL, stopBackend, err := startBackend()
	if err != nil {
		return err
	}
	defer stopBackend()

	secret := randomString()
	idp, err := devidp.New(devidp.Options{
		Issuer:       base + IdPPath,
		ClientID:     "mcpgate-demo",
		ClientSecret: secret,
		RedirectURIs: []string{base + config.CallbackPath},
		Logger:       opts.Logger,
	})
	if err != nil {
		return fmt.Errorf("demo: identity provider: %w", err)
	}
	// The IdP must answer before mcpgate starts: mcpgate discovers it.
	var gate atomic.Pointer[http.Handler]
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == IdPPath || strings.HasPrefix(r.URL.Path, IdPPath+"/") {
				idp.ServeHTTP(w, r)
				return
			}
			if h := gate.Load(); h != nil {
				(*h).ServeHTTP(w, r)
				return
			}
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}),
	}
	go srv.Serve(ln)
	defer srv.Close()

	cfg, err := demoConfig(base, backendURL, secret, opts.Store)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, app.Options{Logger: opts.Logger})
	if err != nil {
		return fmt.Errorf("demo: start mcpgate: %w", err)
	}
	defer a.Close()
	var h http.Handler = a.Handler
	gate.Store(&h)
	go a.Run(ctx)

	printInstructions(opts.Out, cfg.ResourceURL(), cfg.Store)
	if opts.Ready != nil {
		opts.Ready <- cfg.ResourceURL()
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func demoConfig(base, backendURL, upstreamSecret, store string) (*config.Config, error) {
	if store == "" {
		dir := filepath.Join(os.TempDir(), "mcpgate-demo")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("demo: store dir: %w", err)
		}
		store = "sqlite://" + filepath.Join(dir, "mcpgate.db")
	}
	cfg, err := config.Load("", []string{
		"MCPGATE_PUBLIC_URL=" + base,
		"MCPGATE_STORE=" + store,
		"MCPGATE_UPSTREAM_ISSUER=" + base + IdPPath,
		"MCPGATE_UPSTREAM_CLIENT_ID=mcpgate-demo",
		"MCPGATE_UPSTREAM_CLIENT_SECRET=" + upstreamSecret,
		"MCPGATE_UPSTREAM_SCOPES=openid email profile groups",
		"MCPGATE_BACKEND_URL=" + backendURL,
		// MCP Inspector's web UI calls the MCP endpoint from this origin.
		"MCPGATE_MCP_ALLOWED_ORIGINS=http://localhost:6274,http://127.0.0.1:6274",
	})
	if err != nil {
		return nil, fmt.Errorf("demo: config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo: config: %w", err)
	}
	return cfg, nil
}

// ServeBackend serves the demo MCP backend at /mcp on ln until ctx ends,
// then lets requests under way finish for up to 5 s.
func ServeBackend(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("/mcp", BackendHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("demo: backend: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// startBackend serves the demo MCP backend on its own loopback port, so it
// is reachable only through mcpgate's URL in the instructions.
func startBackend() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("demo: backend listen: %w", err)
	}
	srv := &http.Server{Handler: BackendHandler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/mcp", func() { srv.Close() }, nil
}

func randomString() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func printInstructions(w io.Writer, mcpURL, store string) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, `
  mcpgate demo — FOR DEVELOPMENT ONLY: its identity provider lets anyone sign in as anyone.

  MCP server URL:  %[1]s

  Claude Code:     claude mcp add --transport http mcpgate-demo %[1]s
  MCP Inspector:   npx @modelcontextprotocol/inspector   (Streamable HTTP, URL above)
  mcp-remote:      npx mcp-remote %[1]s

  Sign in with any name and email; then call the protected-data tool to see
  the identity the backend received. State is kept in %[2]s.
  Press Ctrl-C to stop.

`, mcpURL, store)
}
