package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy"
	"github.com/mcpgate/mcpgate/proxy/audit"
	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/dpop"
	"github.com/mcpgate/mcpgate/proxy/forward"
	"github.com/mcpgate/mcpgate/proxy/metrics"
	"github.com/mcpgate/mcpgate/proxy/policy"
	"github.com/mcpgate/mcpgate/proxy/revocation"
	"github.com/mcpgate/mcpgate/proxy/signer"
	"github.com/mcpgate/mcpgate/proxy/stdio"
	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/observed"
	"github.com/mcpgate/mcpgate/proxy/tracing"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidc"
	"github.com/mcpgate/mcpgate/upstream/preset"
)

// Options are the parts a caller may supply instead of the defaults.
type Options struct {
	Logger *slog.Logger
	// Upstream replaces the OIDC provider built from the configuration.
	Upstream upstream.Provider
	// UpstreamHTTPClient is used to reach the IdP (tests trust their CA).
	UpstreamHTTPClient *http.Client
	// UpstreamRetry is the least time between two discovery attempts of an
	// IdP that could not be discovered at start; 0 is 5 s.
	UpstreamRetry time.Duration
	// Store replaces the store the configuration names.
	Store store.Store
	// Now is the clock of the authorization server, the store it opens and
	// the revocation list (tests move it); nil is time.Now.
	Now func() time.Time
	// TracerProvider receives the traces; nil traces nothing. The caller
	// owns it (and shuts it down after the App).
	TracerProvider trace.TracerProvider
}

// App is a wired mcpgate.
type App struct {
	Config  *config.Config
	Store   store.Store
	Keys    *signer.Manager
	Handler *proxy.Server
	// Revoked are the grants revoked while their access tokens may live.
	Revoked *revocation.List
	// Policy is the policy in force: the sign-in policy, and the rules of
	// the default backend; ReloadPolicy replaces it.
	Policy *policy.Current
	// backendPolicies are the named backends' policies (the same sign-in
	// policy, their own rules), by name.
	backendPolicies map[string]*policy.Current
	// stdio are the stdio backends, whose processes Close stops.
	stdio []*stdio.Backend
	// Audit is the audit log, nil when audit.path is not set.
	Audit *audit.Log
	// Metrics are served on metrics.listen by Serve.
	Metrics *metrics.Metrics
	log     *slog.Logger
	idpList []authserver.IdP
}

// gcInterval is how often expired records are removed.
const gcInterval = 5 * time.Minute

// New wires mcpgate from a validated configuration.
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	st := opts.Store
	if st == nil {
		var err error
		if st, err = OpenStore(ctx, cfg, store.WithClock(opts.Now)); err != nil {
			return nil, err
		}
	}
	m := metrics.New()
	a := &App{Config: cfg, Store: observed.New(st, m.Store), log: log, Metrics: m}
	if err := a.wire(ctx, opts); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) wire(ctx context.Context, opts Options) error {
	cfg := a.Config
	keyOpts, err := SignerOptions(cfg, a.log)
	if err != nil {
		return err
	}
	keys, err := signer.New(ctx, a.Store, keyOpts)
	if err != nil {
		return fmt.Errorf("app: signing keys: %w", err)
	}
	a.Keys = keys
	a.Policy = policy.NewCurrent(PolicyOf(cfg))
	a.backendPolicies = map[string]*policy.Current{}
	for _, rt := range cfg.Routes() {
		if rt.Name != "" {
			a.backendPolicies[rt.Name] = policy.NewCurrent(policyWith(cfg, rt.Rules))
		}
	}
	if cfg.Audit.Path != "" {
		if a.Audit, err = audit.Open(cfg.Audit.Path); err != nil {
			return fmt.Errorf("app: %w", err)
		}
	}
	idps, err := a.idps(ctx, opts)
	if err != nil {
		return err
	}
	a.idpList = idps
	a.Revoked = revocation.New(a.Store, cfg.Tokens.RevocationPollInterval, a.log)
	if opts.Now != nil {
		a.Revoked.Now = opts.Now
	}
	if err := a.Revoked.Refresh(ctx); err != nil {
		return fmt.Errorf("app: load revocations: %w", err)
	}
	accounts, err := serviceAccounts(cfg)
	if err != nil {
		return err
	}
	metadata, err := clientMetadata(cfg, a.log)
	if err != nil {
		return err
	}
	secret, err := a.cookieSecret(ctx)
	if err != nil {
		return err
	}
	tracking, err := upstreamTracking(cfg, idps, secret)
	if err != nil {
		return err
	}
	as, err := authserver.New(authserver.Config{
		Upstream:            tracking,
		Issuer:              cfg.Issuer(),
		Resource:            cfg.ResourceURL(),
		Scopes:              cfg.MCP.Scopes,
		StrictScopes:        cfg.MCP.StrictScopes,
		AccessTokenTTL:      cfg.Tokens.AccessTokenTTL,
		RefreshTokenTTL:     cfg.Tokens.RefreshTokenTTL,
		CodeTTL:             cfg.Tokens.CodeTTL,
		RefreshGrace:        cfg.Tokens.RefreshGrace,
		ConsentTTL:          cfg.Session.ConsentTTL,
		ReuseSignIn:         cfg.Session.ReuseSignIn,
		DynamicRegistration: cfg.Registration.DynamicEnabled,
		Registration: authserver.RegistrationPolicy{
			InitialAccessToken: cfg.Registration.InitialAccessToken,
			RedirectURIAllowed: cfg.Registration.RedirectURIAllowed,
			UnusedClientTTL:    cfg.Registration.UnusedClientTTL,
		},
		StaticClients:   staticClients(cfg),
		ServiceAccounts: accounts,
		Policy:          a.Policy,
		Resources:       a.resources(),
	}, authserver.Deps{Store: a.Store, Signer: keys, IdPs: idps, Logger: a.log, ClientMetadata: metadata, Revoked: a.Revoked, Audit: a.auditSignIn(),
		TokenAudit: a.auditTokens(), Replay: a.Metrics.Replay})
	if err != nil {
		return err
	}
	if opts.Now != nil {
		as.Now = opts.Now
	}
	routes, err := a.routes()
	if err != nil {
		return err
	}
	logo, logoType, err := cfg.Pages.Logo()
	if err != nil {
		return fmt.Errorf("app: pages.logo_file: %w", err)
	}
	audience := cfg.Backend.Assertion.Audience
	if audience == "" {
		audience = cfg.Backend.URL
	}
	a.Handler, err = proxy.New(proxy.Options{
		AuthServer:     as,
		Keys:           keys,
		Routes:         routes,
		Callbacks:      callbacks(cfg),
		Branding:       proxy.Branding{Name: cfg.Pages.OrganizationName, Logo: logo, LogoType: logoType},
		Ready:          a.readiness(),
		Metrics:        a.Metrics,
		Tracer:         tracing.New(opts.TracerProvider),
		CookieSecret:   secret,
		DPoP:           dpopOptions(cfg, secret, a.Store),
		SessionTTL:     cfg.Session.TTL,
		ReuseSignIn:    cfg.Session.ReuseSignIn,
		AllowedOrigins: cfg.MCP.AllowedOrigins,
		Revocations:    a.Revoked,
		Assertion: proxy.AssertionOptions{
			Enabled:  cfg.Backend.Assertion.Header != "",
			Audience: audience,
			TTL:      cfg.Backend.Assertion.TTL,
		},
		RegistrationsPerHour:     cfg.Registration.RateLimit,
		AuthorizationsPerHour:    cfg.Limits.AuthorizeRateLimit,
		TokensPerMinute:          cfg.Limits.TokenRateLimit,
		TokensPerClientPerMinute: cfg.Limits.TokenClientRateLimit,
		Counter:                  a.Store,
		TrustedProxies:           trustedProxies(cfg),
		AllowedHosts:             cfg.AllowedHosts,
		MachineClients:           len(accounts) > 0,
		IDJAG:                    slices.ContainsFunc(idps, func(i authserver.IdP) bool { return len(i.IDJAGClients) > 0 }),
		ClientMetadataDocuments:  metadata != nil,
		MCPBodyBytes:             int64(cfg.Limits.MCPBodyBytes),
		BodyReadTimeout:          cfg.Limits.BodyReadTimeout,
		Audit:                    a.Audit,
		Logger:                   a.log,
	})
	return err
}

// routes are the MCP endpoints of the configuration, each forwarding to
// its backend under its own policy.
func (a *App) routes() ([]proxy.Route, error) {
	var out []proxy.Route
	for _, rt := range a.Config.Routes() {
		var fwd proxy.Forwarder
		if len(rt.Command) > 0 {
			b, err := stdio.New(stdio.Options{Name: rt.Name, Command: rt.Command, Env: rt.Env, IdentityEnv: rt.IdentityEnv,
				IdleTimeout: rt.IdleTimeout, MaxProcesses: rt.MaxProcesses, Shared: rt.SharedProcess, Logger: a.log})
			if err != nil {
				return nil, fmt.Errorf("app: backend %s: %w", rt.Name, err)
			}
			a.stdio = append(a.stdio, b)
			a.Metrics.StdioProcesses(rt.Name, b.Processes)
			fwd = b
		} else {
			f, err := a.forwarder(rt.URL, rt.UpstreamTokenHeader)
			if err != nil {
				return nil, err
			}
			fwd = f
		}
		out = append(out, proxy.Route{Name: rt.Name, Path: rt.Path, Resource: rt.Resource, Scopes: rt.Scopes,
			Forwarder: fwd, Policy: a.policyOf(rt.Name), UpstreamToken: rt.UpstreamTokenHeader != ""})
	}
	return out, nil
}

// resources are the routes as the authorization server sees them.
func (a *App) resources() []authserver.Resource {
	var out []authserver.Resource
	for _, rt := range a.Config.Routes() {
		out = append(out, authserver.Resource{URL: rt.Resource, Scopes: rt.Scopes, Policy: a.policyOf(rt.Name)})
	}
	return out
}

// policyOf is the policy of the backend named name ("" the default).
func (a *App) policyOf(name string) *policy.Current {
	if name == "" {
		return a.Policy
	}
	return a.backendPolicies[name]
}

func (a *App) forwarder(backendURL, upstreamTokenHeader string) (*forward.Forwarder, error) {
	b := a.Config.Backend
	u, err := url.Parse(backendURL)
	if err != nil {
		return nil, fmt.Errorf("app: backend url: %w", err)
	}
	h := b.IdentityHeaders
	return forward.New(forward.Options{
		Backend: u,
		Headers: forward.HeaderNames{
			User: h.User, Email: h.Email, EmailVerified: h.EmailVerified, Name: h.Name, Groups: h.Groups, ClientID: h.ClientID,
			Assertion: b.Assertion.Header, UpstreamToken: upstreamTokenHeader,
		},
		ResponseHeaderTimeout: b.Timeout,
		StripHeaders:          append(slices.Clone(b.StripHeaders), a.upstreamTokenHeaders()...),
		TrustedProxies:        trustedProxies(a.Config),
		PublicScheme:          publicScheme(a.Config),
		PublicHost:            publicHost(a.Config),
		Logger:                a.log,
	})
}

// upstreamTokenHeaders are the headers that carry the IdP's token to some
// backend: no backend gets them from a client.
func (a *App) upstreamTokenHeaders() []string {
	var out []string
	for _, rt := range a.Config.Routes() {
		if rt.UpstreamTokenHeader != "" {
			out = append(out, rt.UpstreamTokenHeader)
		}
	}
	return out
}

// upstreamTracking keeps the IdP's grants when the IdP can be asked again
// (a Refresher), sealed with the encryption key, else with the session
// secret that every replica shares.
// Backends sent the IdP's access token need every sign-in's tokens kept.
func upstreamTracking(cfg *config.Config, idps []authserver.IdP, sessionSecret []byte) (*authserver.UpstreamTracking, error) {
	keepAccess := slices.ContainsFunc(cfg.Routes(), func(r config.Route) bool { return r.UpstreamTokenHeader != "" })
	if !keepAccess && !slices.ContainsFunc(idps, func(i authserver.IdP) bool { _, ok := i.Provider.(upstream.Refresher); return ok }) {
		return nil, nil
	}
	key := cfg.EncryptionKey
	if key == "" {
		key = string(sessionSecret)
	}
	seal, open, err := signer.AESGCMFor(key, "mcpgate upstream grant")
	if err != nil {
		return nil, fmt.Errorf("app: upstream grant key: %w", err)
	}
	return &authserver.UpstreamTracking{Seal: seal, Open: open, KeepAccessTokens: keepAccess,
		Lifetime: cfg.Tokens.RefreshTokenTTL + cfg.Session.TTL}, nil
}

// cookieSecret is the configured secret, or one generated once and kept in
// the store so that restarts and replicas share it.
func (a *App) cookieSecret(ctx context.Context) ([]byte, error) {
	if s := a.Config.Session.Secret; s != "" {
		return []byte(s), nil
	}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	secret, err := a.Store.EnsureSecret(ctx, "cookie", fresh)
	if err != nil {
		return nil, fmt.Errorf("app: cookie secret: %w", err)
	}
	return secret, nil
}

// Run runs the background work (key reloads and rotation, revocation
// polls, garbage collection) until ctx ends.
func (a *App) Run(ctx context.Context) {
	go a.Keys.Run(ctx)
	go a.Revoked.Run(ctx)
	t := time.NewTicker(gcInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			res, err := a.Store.GarbageCollect(ctx, time.Now())
			if err != nil {
				a.log.WarnContext(ctx, "garbage collection failed", "err", err)
			} else if res.Total() > 0 {
				a.log.InfoContext(ctx, "garbage collected", "records", res.Total())
			}
		}
	}
}

// Serve listens on the configured address until ctx ends, then shuts down
// gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: a.Config.Limits.ReadHeaderTimeout,
		IdleTimeout:       a.Config.Limits.IdleTimeout,
		MaxHeaderBytes:    a.Config.Limits.MaxHeaderBytes,
		// No WriteTimeout: MCP SSE streams stay open for long.
	}
	if t := a.Config.TLS; t.CertFile != "" {
		certs, err := newCertReloader(t.CertFile, t.KeyFile, a.log)
		if err != nil {
			return err
		}
		srv.TLSConfig = &tls.Config{GetCertificate: certs.GetCertificate, MinVersion: tls.VersionTLS12}
	}
	bg, stop := context.WithCancel(ctx)
	defer stop()
	go a.Run(bg)
	if addr := a.Config.Metrics.Listen; addr != "" {
		mln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("app: metrics listener: %w", err)
		}
		msrv := &http.Server{Handler: a.Metrics.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go msrv.Serve(mln)
		defer msrv.Close()
		a.log.Info("metrics serving", "listen", mln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "") // the files come through GetCertificate
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("app: serve: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting, end the GET streams (which never end by themselves;
	// their clients reconnect elsewhere), let the rest finish in the grace.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownGrace)
	defer cancel()
	a.Handler.Drain()
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		a.log.Warn("shutdown grace over; closing the connections left", "grace", a.Config.ShutdownGrace)
		srv.Close()
	}
	return nil
}

// Close releases the store.
func (a *App) Close() error {
	for _, b := range a.stdio {
		b.Close()
	}
	if a.Audit != nil {
		if err := a.Audit.Close(); err != nil {
			a.log.Error("close audit log", "err", err)
		}
	}
	return a.Store.Close()
}

// readiness are the checks of /readyz: the store answers, a signing key
// is loaded, every IdP is discovered.
func (a *App) readiness() []proxy.Check {
	return []proxy.Check{
		{Name: "store", Run: func(ctx context.Context) error {
			_, err := a.Store.GetClient(ctx, "readiness-probe")
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}},
		{Name: "signing_key", Run: func(context.Context) error {
			if !a.Keys.Ready() {
				return errors.New("no signing key loaded")
			}
			return nil
		}},
		// An IdP not discovered at start is tried again here too, so that
		// the probe itself brings mcpgate back once the IdP is.
		{Name: "upstream", Run: func(ctx context.Context) error {
			var errs []error
			for _, idp := range a.idpList {
				if r, ok := idp.Provider.(upstream.Readier); ok {
					if err := r.Ready(ctx); err != nil {
						errs = append(errs, fmt.Errorf("idp %q: %w", idp.Name, err))
					}
				}
			}
			return errors.Join(errs...)
		}},
	}
}

// upstreamTimeout bounds each request to an IdP, as the providers'
// default clients do.
const upstreamTimeout = 30 * time.Second

// idps builds the provider of each configured IdP (discovering it where
// it has discovery); opts.Upstream replaces the only one's.
func (a *App) idps(ctx context.Context, opts Options) ([]authserver.IdP, error) {
	var out []authserver.IdP
	cfgs := a.Config.IdPs()
	if opts.Upstream != nil && len(cfgs) != 1 {
		return nil, errors.New("app: Options.Upstream replaces the only upstream; the configuration has several")
	}
	for _, c := range cfgs {
		up := opts.Upstream
		if up == nil {
			settings := c.Settings
			var base http.RoundTripper = upstream.Transport()
			if opts.UpstreamHTTPClient != nil && opts.UpstreamHTTPClient.Transport != nil {
				base = opts.UpstreamHTTPClient.Transport
			}
			settings.HTTPClient = &http.Client{Transport: a.Metrics.Transport(c.Name, tracing.Transport(base)), Timeout: upstreamTimeout}
			if opts.UpstreamHTTPClient != nil && opts.UpstreamHTTPClient.Timeout != 0 {
				settings.HTTPClient.Timeout = opts.UpstreamHTTPClient.Timeout
			}
			var err error
			up, err = preset.New(ctx, settings)
			if _, failed := errors.AsType[*oidc.DiscoveryError](err); failed {
				// The IdP is down or broken, not the configuration: serve
				// anyway, not ready, and discover it when needed.
				a.log.Warn("upstream IdP not discovered; mcpgate starts without it, refuses sign-ins through it and retries",
					"idp", c.Name, "err", err)
				lazy := upstream.NewLazy(settings.Issuer, func(ctx context.Context) (upstream.Provider, error) { return preset.New(ctx, settings) }, err)
				if opts.UpstreamRetry > 0 {
					lazy.SetRetry(opts.UpstreamRetry)
				}
				up, err = lazy, nil
			}
			if err != nil {
				if c.Name != "" {
					return nil, fmt.Errorf("app: upstream %s: %w", c.Name, err)
				}
				return nil, fmt.Errorf("app: upstream: %w", err)
			}
		}
		out = append(out, authserver.IdP{Name: c.Name, DisplayName: c.DisplayName, EmailDomains: c.EmailDomains, Provider: up,
			AllowUnverifiedEmail: c.Upstream.AllowUnverifiedEmail, MaxSessionAge: c.Upstream.MaxSessionAge,
			CheckInterval: c.Upstream.CheckInterval, IDJAGClients: c.Upstream.IDJAGClients})
	}
	return out, nil
}

// callbacks map each IdP's callback path to its name.
func callbacks(cfg *config.Config) map[string]string {
	out := map[string]string{}
	for _, idp := range cfg.IdPs() {
		out[idp.CallbackPath] = idp.Name
	}
	return out
}

// SignerOptions are the signing-key settings of cfg, shared by serve and
// `keys rotate` so that both read and write keys the same way.
func SignerOptions(cfg *config.Config, log *slog.Logger) (signer.Options, error) {
	opts := signer.Options{
		TokenLifetime:   cfg.Tokens.AccessTokenTTL,
		RotationPeriod:  cfg.Tokens.KeyRotation,
		RefreshInterval: cfg.Tokens.KeyReloadInterval,
		Logger:          log,
	}
	if cfg.EncryptionKey != "" {
		seal, open, err := signer.AESGCM(cfg.EncryptionKey)
		if err != nil {
			return opts, fmt.Errorf("app: %w", err)
		}
		opts.Seal, opts.Open = seal, open
	}
	return opts, nil
}

// publicScheme is the scheme of the public URL, which clients use.
func publicScheme(cfg *config.Config) string {
	if u, err := url.Parse(cfg.Issuer()); err == nil {
		return u.Scheme
	}
	return "http"
}

// publicHost is the host (and port) of the public URL.
func publicHost(cfg *config.Config) string {
	if u, err := url.Parse(cfg.Issuer()); err == nil {
		return u.Host
	}
	return ""
}

// trustedProxies parses what Validate has already checked.
func trustedProxies(cfg *config.Config) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range cfg.TrustedProxies {
		if p, err := netip.ParsePrefix(c); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// dpopOptions: nonces derived from the cookie secret, which every replica
// shares, so that any replica takes a nonce another gave; proof jtis at
// /token claimed in the store.
func dpopOptions(cfg *config.Config, secret []byte, st store.Store) proxy.DPoPOptions {
	o := proxy.DPoPOptions{Required: cfg.DPoP.Required, Replays: st}
	if cfg.DPoP.Nonce {
		o.Nonces = dpop.NewNonces(secret, 5*time.Minute)
	}
	return o
}
