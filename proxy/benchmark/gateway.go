package benchmark

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/app"
	"github.com/mcpgate/mcpgate/proxy/tracing"
	"github.com/mcpgate/mcpgate/upstream/devidp"
)

const (
	upstreamClientID     = "mcpgate-bench"
	upstreamClientSecret = "mcpgate-bench-secret"
)

// Gateway is a running mcpgate in front of a backend, with the dev OpenID
// provider it signs users in with.
type Gateway struct {
	URL string // mcpgate's base URL
	IdP string // the dev IdP's issuer
	App *app.App
	// DPoP, when set, makes sign-ins prove this key at the token
	// endpoint, so that their tokens are bound to it.
	DPoP  *ecdsa.PrivateKey
	close func()
}

// StartGateway starts the dev IdP and mcpgate, wired from configuration the
// way `mcpgate serve` wires it (memory store, default identity headers),
// forwarding to backendURL. Both listen on 127.0.0.1.
func StartGateway(ctx context.Context, backendURL string) (*Gateway, error) {
	gwLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + gwLn.Addr().String()
	idpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		gwLn.Close()
		return nil, err
	}
	issuer := "http://" + idpLn.Addr().String()
	idp, err := devidp.New(devidp.Options{
		Issuer: issuer, ClientID: upstreamClientID, ClientSecret: upstreamClientSecret,
		RedirectURIs: []string{base + "/oauth/callback"},
	})
	if err != nil {
		gwLn.Close()
		idpLn.Close()
		return nil, err
	}
	idpSrv := &http.Server{Handler: idp, ReadHeaderTimeout: 10 * time.Second}
	go idpSrv.Serve(idpLn)

	a, err := newApp(ctx, base, issuer, backendURL)
	if err != nil {
		idpSrv.Close()
		gwLn.Close()
		return nil, err
	}
	// app.Serve is what `mcpgate serve` runs: the same http.Server settings
	// and background work.
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Serve(sctx, gwLn); err != nil {
			// Nothing would answer on gwLn: say why, rather than let the
			// sign-in time out.
			fmt.Fprintln(os.Stderr, "benchmark: serve:", err)
			gwLn.Close()
		}
	}()
	return &Gateway{URL: base, IdP: issuer, App: a, close: func() {
		stop()
		<-done
		a.Close()
		idpSrv.Close()
	}}, nil
}

func newApp(ctx context.Context, base, issuer, backendURL string) (*app.App, error) {
	// MCPGATE_* variables of the load test reach mcpgate (its policy and
	// audit log, for runs that measure them).
	var extra []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MCPGATE_POLICY_") || strings.HasPrefix(kv, "MCPGATE_AUDIT_") || strings.HasPrefix(kv, "MCPGATE_TRACING_") || strings.HasPrefix(kv, "MCPGATE_TOKENS_") || strings.HasPrefix(kv, "MCPGATE_LIMITS_") {
			extra = append(extra, kv)
		}
	}
	cfg, err := config.Load("", append(extra,
		"MCPGATE_PUBLIC_URL="+base,
		"MCPGATE_BACKEND_URL="+backendURL,
		"MCPGATE_STORE=memory:",
		// The metrics are on, as in production, each process on a port of
		// its own (the load test runs several mcpgates at once).
		"MCPGATE_METRICS_LISTEN=127.0.0.1:0",
		"MCPGATE_UPSTREAM_ISSUER="+issuer,
		"MCPGATE_UPSTREAM_CLIENT_ID="+upstreamClientID,
		"MCPGATE_UPSTREAM_CLIENT_SECRET="+upstreamClientSecret,
	))
	if err != nil {
		return nil, fmt.Errorf("benchmark: config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("benchmark: config: %w", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Traces too, for runs that measure them (MCPGATE_TRACING_OTLP_ENDPOINT
	// at a collector); the provider lives as long as the process.
	tp, err := tracing.Setup(ctx, tracing.Settings{OTLPEndpoint: cfg.Tracing.OTLPEndpoint, SampleRatio: cfg.Tracing.SampleRatio}, os.Getenv, log)
	if err != nil {
		return nil, fmt.Errorf("benchmark: %w", err)
	}
	opts := app.Options{Logger: log}
	if tp != nil {
		opts.TracerProvider = tp
	}
	return app.New(ctx, cfg, opts)
}

// Close stops mcpgate and the IdP.
func (g *Gateway) Close() {
	if g != nil && g.close != nil {
		g.close()
	}
}

// MCPURL is the protected MCP endpoint.
func (g *Gateway) MCPURL() string { return g.URL + "/mcp" }
