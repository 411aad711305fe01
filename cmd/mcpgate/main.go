// Command mcpgate is an OAuth 2.1 authorization server and MCP reverse
// proxy that signs users in with the company's own OpenID Connect IdP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/app"
	"github.com/mcpgate/mcpgate/proxy/requestid"
	"github.com/mcpgate/mcpgate/proxy/tracing"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `mcpgate: enterprise sign-in in front of MCP servers

Usage:
  mcpgate serve   [--config FILE]   run the gateway; SIGHUP re-reads the policy
                                    and reopens the audit log
  mcpgate check   [--config FILE] [--probe]
                                    validate a configuration and print every problem;
                                    --probe also contacts the upstream IdP and every
                                    backend (stdio programs are started and initialized)
  mcpgate keys rotate [--config FILE]
                                    add a new signing key; replicas pick it up
                                    and sign with it once it is published
  mcpgate demo    [--listen ADDR]   run mcpgate with a development IdP and a demo
                                    MCP backend, no configuration needed
                                    (development only: anyone can sign in)
  mcpgate demo backend [--listen ADDR]
                                    serve the demo MCP backend alone (deploy/compose);
                                    it believes identity headers: only mcpgate may reach it
  mcpgate login   [flags] URL       sign in to the MCP server at URL (mcpgate or any other)
                                    in the browser; the tokens are kept in a 0600 file
  mcpgate token   URL               print a valid access token for URL, refreshed if needed
                                    (for scripts: Authorization: Bearer $(mcpgate token URL))
  mcpgate logout  URL               revoke the tokens at the server and forget them
  mcpgate account URL [revoke-client ID | revoke-token ID]
                                    at an mcpgate: list your connected clients and personal
                                    access tokens, or revoke one (sign in with a client the
                                    operator configured: mcpgate login --client-id ...)
  mcpgate connect [flags] URL       a stdio MCP server for stdio-only hosts, relaying to URL
                                    over streamable HTTP; signs in when needed
  mcpgate version                   print the version

The configuration file may also be named by MCPGATE_CONFIG; every key can be
set from the environment (MCPGATE_PUBLIC_URL, MCPGATE_UPSTREAM_ISSUER, ...).
`

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

func run(args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], environ, stderr)
	case "check":
		return check(args[1:], environ, stdout, stderr)
	case "keys":
		return keys(args[1:], environ, stdout, stderr)
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "login":
		return login(args[1:], environ, stdout, stderr)
	case "token":
		return token(args[1:], environ, stdout, stderr)
	case "logout":
		return logout(args[1:], environ, stdout, stderr)
	case "account":
		return account(args[1:], environ, stdout, stderr)
	case "connect":
		return connect(args[1:], environ, os.Stdin, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "mcpgate", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "mcpgate: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// loadConfig parses the --config flag and loads and validates the config.
func loadConfig(name string, args, environ []string, stderr io.Writer, flags ...func(*flag.FlagSet)) (*config.Config, int) {
	cfg, _, code := loadConfigFile(name, args, environ, stderr, flags...)
	return cfg, code
}

// loadConfigFile is loadConfig that also says which file it read ("" for
// the environment alone), for serve to re-read on SIGHUP.
func loadConfigFile(name string, args, environ []string, stderr io.Writer, flags ...func(*flag.FlagSet)) (*config.Config, string, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", lookupEnv(environ, "MCPGATE_CONFIG"), "configuration file (YAML)")
	for _, add := range flags {
		add(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, "", 2
	}
	cfg, err := config.Load(*path, environ)
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil {
		// The OTEL_* variables are the SDK's, not the configuration's, but
		// asking for what is not built in must stop startup all the same.
		err = tracing.CheckEnv(func(k string) string { return lookupEnv(environ, k) })
	}
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			fmt.Fprintf(stderr, "mcpgate: the configuration has %d problem(s):\n", len(ps))
			for _, p := range ps {
				fmt.Fprintf(stderr, "  %s\n", p)
			}
		} else {
			fmt.Fprintf(stderr, "mcpgate: %v\n", err)
		}
		return nil, "", 1
	}
	return cfg, *path, 0
}

// watchReloads calls reload for every signal until ctx ends.
func watchReloads(ctx context.Context, signals <-chan os.Signal, reload func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			reload()
		}
	}
}

// reloadPolicy re-reads the configuration and puts its policy in force; a
// configuration with problems is refused, each problem logged, and the
// policy in force stays.
func reloadPolicy(a *app.App, path string, environ []string, log *slog.Logger) {
	cfg, err := config.Load(path, environ)
	if err == nil {
		err = a.ReloadPolicy(cfg)
	}
	var ps config.Problems
	switch {
	case errors.As(err, &ps):
		for _, p := range ps {
			log.Error("reload refused: configuration problem", "key", p.Key, "problem", p.Message)
		}
		log.Error("reload refused; the policy in force stays", "problems", len(ps))
	case err != nil:
		log.Error("reload refused; the policy in force stays", "err", err)
	}
}

func check(args, environ []string, stdout, stderr io.Writer) int {
	var probing bool
	cfg, code := loadConfig("check", args, environ, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&probing, "probe", false, "also contact the upstream IdP and every backend")
	})
	if cfg == nil {
		return code
	}
	var resources []string
	rules := 0
	for _, rt := range cfg.Routes() {
		resources = append(resources, rt.Resource)
		rules += len(rt.Rules)
	}
	fmt.Fprintf(stdout, "configuration OK: issuer %s, resource %s, upstream %s, %d policy rule(s)\n",
		cfg.Issuer(), strings.Join(resources, ", "), cfg.Upstream.IssuerURL(), rules)
	if probing {
		if failed := probe(cfg, stdout, stderr); failed > 0 {
			fmt.Fprintf(stderr, "mcpgate: %d probe(s) failed\n", failed)
			return 1
		}
	}
	return 0
}

func serve(args, environ []string, stderr io.Writer) int {
	cfg, path, code := loadConfigFile("serve", args, environ, stderr)
	if cfg == nil {
		return code
	}
	log := newLogger(cfg.LogLevel, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	getenv := func(k string) string { return lookupEnv(environ, k) }
	tp, err := tracing.Setup(ctx, tracing.Settings{OTLPEndpoint: cfg.Tracing.OTLPEndpoint, SampleRatio: cfg.Tracing.SampleRatio, Version: version}, getenv, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	opts := app.Options{Logger: log}
	if tp != nil {
		opts.TracerProvider = tp
		defer flushTraces(tp, log)
	}
	a, err := app.New(ctx, cfg, opts)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	defer a.Close()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go watchReloads(ctx, hup, func() { reloadPolicy(a, path, environ, log) })
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.Error("listen failed", "addr", cfg.Listen, "err", err)
		return 1
	}
	var resources []string
	for _, rt := range cfg.Routes() {
		resources = append(resources, rt.Resource)
	}
	log.Info("mcpgate serving", "version", version, "listen", ln.Addr().String(), "issuer", cfg.Issuer(), "resources", resources)
	if cfg.AllowInsecurePublicURL && strings.HasPrefix(cfg.PublicURL, "http://") {
		log.Warn("public_url is plain http and allow_insecure_public_url is set: tokens and codes cross the network unencrypted unless something else protects it")
	}
	if err := a.Serve(ctx, ln); err != nil {
		log.Error("serve failed", "err", err)
		return 1
	}
	log.Info("mcpgate stopped")
	return 0
}

// flushTraces sends the spans still buffered, within a bound: a collector
// that does not answer must not hold up the exit.
func flushTraces(tp tracing.Provider, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		log.Warn("tracing: flush at exit failed", "err", err)
	}
}

// newLogger logs JSON lines, or text for a person when w is a terminal,
// each with the request id of its request.
func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if isTerminal(w) {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(tracing.LogHandler(requestid.Handler(h)))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func lookupEnv(environ []string, key string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}
