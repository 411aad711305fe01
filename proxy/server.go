package proxy

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpgate/mcpgate/proxy/audit"
	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/clientaddr"
	"github.com/mcpgate/mcpgate/proxy/metrics"
	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/pat"
	"github.com/mcpgate/mcpgate/proxy/principal"
	"github.com/mcpgate/mcpgate/proxy/requestid"
	"github.com/mcpgate/mcpgate/proxy/signer"
	"github.com/mcpgate/mcpgate/proxy/tracing"
)

type keySet interface {
	signer.Signer
	authserver.AccessTokenVerifier
}

// Options wire the HTTP layer to the rest of mcpgate.
type Options struct {
	AuthServer *authserver.Server
	// Keys publishes the JWKS and verifies mcpgate's own tokens.
	Keys keySet
	// Routes are the protected MCP endpoints, each its own resource.
	Routes []Route
	// Branding is the organisation the pages show.
	Branding Branding
	// Ready are the readiness checks /readyz runs.
	Ready []Check
	// Metrics records what happens; nil records nothing.
	Metrics *metrics.Metrics
	// Tracer traces requests; nil traces nothing.
	Tracer *tracing.Tracer
	// Callbacks map the paths where upstream IdPs send the browser back to
	// the IdPs' names ("" for the only one).
	Callbacks map[string]string
	// CookieSecret signs browser cookies; at least 32 bytes.
	CookieSecret []byte
	// SessionTTL is how long a browser stays signed in with mcpgate.
	SessionTTL time.Duration
	// ReuseSignIn keeps the signed-in identity in the browser session, so
	// that further authorizations skip the upstream login.
	ReuseSignIn bool
	// AllowedOrigins are browser origins allowed at the MCP endpoint
	// besides mcpgate's own.
	AllowedOrigins []string
	// Revocations says which grants were revoked; their access tokens are
	// refused at the MCP endpoint. Nil refuses none.
	Revocations RevocationList
	// Assertion, when Header is set, sends the backend a signed identity
	// JWT with this audience and lifetime.
	Assertion AssertionOptions
	// RegistrationsPerHour limits dynamic registrations per source
	// address (an IPv6 /64); 0 means no limit.
	RegistrationsPerHour int
	// TokensPerMinute and TokensPerClientPerMinute bound token requests
	// per source address and per client, across replicas; 0 is unlimited.
	TokensPerMinute          int
	TokensPerClientPerMinute int
	// AuthorizationsPerHour limits the authorization requests (each can
	// create a pending sign-in) per source address; 0 means no limit.
	AuthorizationsPerHour int
	// Counter counts the limits in the shared store.
	Counter Counter
	// TrustedProxies are load balancers whose X-Forwarded-For and
	// X-Forwarded-Host are believed.
	TrustedProxies []netip.Prefix
	// AllowedHosts are Host values served besides the issuer's host.
	AllowedHosts []string
	// MachineClients adds client_credentials and private_key_jwt to the
	// metadata.
	MachineClients bool
	// IDJAG adds the jwt-bearer grant to the metadata: some IdP may
	// grant clients access with ID-JAGs.
	IDJAG bool
	// DPoP configures sender-constrained tokens.
	DPoP DPoPOptions
	// ClientMetadataDocuments advertises CIMD support.
	ClientMetadataDocuments bool
	// MCPBodyBytes bounds MCP request bodies; the OAuth endpoints have a
	// fixed, small limit.
	MCPBodyBytes int64
	// BodyReadTimeout bounds how long any request body takes to arrive.
	BodyReadTimeout time.Duration
	// Audit, when set, gets a record of every MCP request.
	Audit  *audit.Log
	Logger *slog.Logger
}

// AssertionOptions configure the identity JWT for the backend.
type AssertionOptions struct {
	Audience string
	TTL      time.Duration
	// Enabled is set when the forwarder carries the assertion in a header.
	Enabled bool
}

// RevocationList tells revoked grants (the sid of access tokens) apart; it
// is asked on every MCP request, so it must answer from memory.
type RevocationList interface {
	Revoked(familyID string) bool
}

// Server is the HTTP layer. It is an http.Handler.
type Server struct {
	echo   *echo.Echo
	as     *authserver.Server
	keys   keySet
	issuer string
	routes []Route
	// mcpPaths are the routes' paths, for the middleware that treats the
	// MCP endpoints apart.
	mcpPaths map[string]bool
	// machine, cimd and idJAG decide what the metadata advertises.
	machine, cimd, idJAG bool
	dpop                 DPoPOptions
	proofs               proofCache
	// callbacks map callback paths to the IdPs they are for.
	callbacks map[string]string
	branding  Branding
	pages     *template.Template
	ready     []Check
	metrics   *metrics.Metrics
	tracer    *tracing.Tracer
	// draining ends when the server stops: GET streams end with it.
	draining     context.Context
	stopDraining context.CancelFunc
	cookies      *cookieCodec
	log          *slog.Logger

	verifier       principal.Verifier
	revocations    RevocationList
	allowedOrigins []string
	tokens         *tokenCache
	assertion      *backendAssertion
	registrations  *windowLimiter
	authorizations *windowLimiter
	tokenAddrs     *windowLimiter
	tokenClients   *windowLimiter
	trustedProxies []netip.Prefix
	mcpBodyBytes   int64
	bodyTimeout    time.Duration
	hosts          *hostPolicy
	audit          *audit.Log
	requestIDs     *requestid.Generator
	reuseSignIn    bool
}

// tokenCacheSize bounds the verified-token cache: at about 1 KiB an entry,
// 100k concurrent tokens cost 100 MiB at most.
const tokenCacheSize = 100_000

// New builds the server and its routes.
func New(opts Options) (*Server, error) {
	if opts.AuthServer == nil || opts.Keys == nil {
		return nil, errors.New("proxy: an authorization server and keys are required")
	}
	if len(opts.CookieSecret) < 32 {
		return nil, errors.New("proxy: the cookie secret must be at least 32 bytes")
	}
	cfg := opts.AuthServer.Config()
	u, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("proxy: parse issuer: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if len(opts.Callbacks) == 0 {
		return nil, errors.New("proxy: a callback path is required")
	}
	if err := checkRoutes(opts.Routes); err != nil {
		return nil, err
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.MCPBodyBytes <= 0 {
		opts.MCPBodyBytes = 4 << 20
	}
	if opts.BodyReadTimeout <= 0 {
		opts.BodyReadTimeout = 10 * time.Second
	}
	s := &Server{
		as:       opts.AuthServer,
		keys:     opts.Keys,
		issuer:   cfg.Issuer,
		routes:   opts.Routes,
		mcpPaths: map[string]bool{},

		callbacks: opts.Callbacks,
		branding:  opts.Branding,
		ready:     opts.Ready,
		metrics:   opts.Metrics,
		tracer:    opts.Tracer,
		pages:     brandedPages(opts.Branding),
		machine:   opts.MachineClients,
		idJAG:     opts.IDJAG,
		dpop:      opts.DPoP,
		cimd:      opts.ClientMetadataDocuments,
		cookies:   newCookieCodec(opts.CookieSecret, u.Scheme == "https", opts.SessionTTL),
		log:       log,

		// Personal access tokens by their prefix, everything else as
		// mcpgate's JWTs.
		verifier: principal.ByPrefix{Prefix: pat.Prefix, Match: opts.AuthServer.PersonalTokens(),
			Other: &principal.JWTVerifier{Keys: opts.Keys, Issuer: cfg.Issuer, Resources: routeResources(opts.Routes)}},
		revocations:    opts.Revocations,
		allowedOrigins: opts.AllowedOrigins,
		tokens:         newTokenCache(tokenCacheSize),
		registrations:  newWindowLimiter("register", opts.RegistrationsPerHour, time.Hour, opts.Counter, log),
		tokenAddrs:     newWindowLimiter("token", opts.TokensPerMinute, time.Minute, opts.Counter, log),
		tokenClients:   newWindowLimiter("token-client", opts.TokensPerClientPerMinute, time.Minute, opts.Counter, log),
		authorizations: newWindowLimiter("authorize", opts.AuthorizationsPerHour, time.Hour, opts.Counter, log),
		trustedProxies: opts.TrustedProxies,
		mcpBodyBytes:   opts.MCPBodyBytes,
		bodyTimeout:    opts.BodyReadTimeout,
		audit:          opts.Audit,
		requestIDs:     requestid.NewGenerator(),
		reuseSignIn:    opts.ReuseSignIn,
	}
	s.draining, s.stopDraining = context.WithCancel(context.Background())
	for _, rt := range opts.Routes {
		s.mcpPaths[rt.Path] = true
	}
	if s.hosts, err = newHostPolicy(cfg.Issuer, opts.AllowedHosts, opts.TrustedProxies); err != nil {
		return nil, fmt.Errorf("proxy: hosts: %w", err)
	}
	if opts.Assertion.Enabled {
		s.assertion = &backendAssertion{signer: opts.Keys, issuer: cfg.Issuer, audience: opts.Assertion.Audience, ttl: opts.Assertion.TTL}
	}
	s.echo = s.handlers()
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) handlers() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleEchoError
	e.Use(s.recoverPanics, s.logRequests, s.guard)

	e.GET("/.well-known/oauth-authorization-server", s.authServerMetadata)
	e.GET("/.well-known/openid-configuration", s.authServerMetadata)
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.Name == "" {
			e.GET("/.well-known/oauth-protected-resource", s.resourceMetadata(rt))
		}
		e.GET("/.well-known/oauth-protected-resource"+rt.Path, s.resourceMetadata(rt))
	}
	e.GET("/jwks", s.jwks)
	e.GET(healthPath, s.healthz)
	e.GET(readyPath, s.readyz)

	e.GET("/authorize", s.authorize)
	e.POST("/authorize", s.authorize)
	e.POST("/consent", s.consent)
	for path, idp := range s.callbacks {
		e.GET(path, s.callback(idp))
	}
	e.POST(oauth.ChooserPath, s.chooseIdP)
	e.GET(authserver.AccountPath, s.accountPage)
	e.GET(accountSignInPath, s.accountSignIn)
	e.POST(accountSignOutPath, s.accountSignOut)
	e.POST(accountTokensPath, s.accountCreateToken)
	e.POST(accountRevokePath, s.accountRevokeToken)
	e.POST(accountClientsPath, s.accountRevokeClient)
	s.accountAPIRoutes(e)
	e.GET(accountAdminPath, s.accountAdmin)
	if s.branding.HasLogo() {
		e.GET(logoPath, s.logo)
	}
	e.POST(accountAdminRevoke, s.accountAdminRevoke)
	// Browser-based MCP clients (MCP Inspector) call these cross-origin.
	// They use no cookies, so any origin may call them.
	api := e.Group("", allowAnyOrigin)
	api.POST("/token", s.token)
	api.POST("/revoke", s.revoke)
	api.POST("/register", s.register)
	for _, idp := range s.as.LogoutIdPs() {
		path := oauth.BackChannelLogoutPath
		if idp != "" {
			path += "/" + idp
		}
		e.POST(path, s.backChannelLogout(idp))
	}
	api.OPTIONS("/token", preflight)
	api.OPTIONS("/revoke", preflight)
	api.OPTIONS("/register", preflight)

	for i := range s.routes {
		rt := &s.routes[i]
		e.Any(rt.Path, func(c echo.Context) error { return s.mcp(c, rt) })
	}
	return e
}

// recoverPanics answers a panic with a plain 500: no stack trace leaves the
// process, and the cause is logged.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.ErrorContext(c.Request().Context(), "panic in handler", "path", c.Path(), "panic", fmt.Sprint(r))
				err = echo.NewHTTPError(http.StatusInternalServerError)
			}
		}()
		return next(c)
	}
}

// logRequests logs method, route and status, and traces the request;
// never the query string, which carries codes and state.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		var span trace.Span
		if s.tracer != nil {
			r := c.Request()
			var ctx context.Context
			ctx, span = s.tracer.StartServer(r, c.Path(), clientaddr.FromTrusted(r, s.trustedProxies))
			c.SetRequest(r.WithContext(ctx))
		}
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		if span != nil {
			tracing.EndServer(span, c.Response().Status)
		}
		if s.isMCPRoute(c.Path()) {
			return nil // the hot path is measured elsewhere
		}
		s.metrics.HTTPRequest(c.Path(), c.Response().Status)
		s.log.LogAttrs(c.Request().Context(), slog.LevelDebug, "http request",
			slog.String("method", c.Request().Method),
			slog.String("route", c.Path()),
			slog.Int("status", c.Response().Status),
			slog.Duration("duration", time.Since(start)))
		return nil
	}
}

// requestDeadline bounds every request but the MCP endpoint's (streams
// there may last for hours): a store or IdP that stops answering must not
// pile up requests.
const requestDeadline = 30 * time.Second

// guard is what every request meets before its handler: the Host check,
// the request deadline and the body bounds. One middleware rather than
// three, because echo builds each middleware's closure anew for every
// request, and the MCP endpoint is the hot path.
func (s *Server) guard(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		// One id per request, in every log line, the audit log, the
		// backend's request and the answer: a trusted proxy's, or made.
		id := r.Header.Get(requestid.Header)
		if !requestid.Valid(id) || !clientaddr.FromTrusted(r, s.trustedProxies) {
			id = s.requestIDs.Next()
		}
		ids := []string{id} // neither header's value is changed later: one slice serves both
		r.Header[requestid.Header] = ids
		c.Response().Header()[requestid.Header] = ids
		ctx := requestid.With(r.Context(), id)
		if !s.isMCPRoute(c.Path()) {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, requestDeadline)
			defer cancel()
		}
		c.SetRequest(r.WithContext(ctx))
		if len(r.TransferEncoding) > 0 {
			// net/http reads a chunked body and drops any Content-Length
			// beside it; a proxy in front may have read the other one
			// (request smuggling). RFC 9112 §6.1: close the connection
			// after the answer, so that no bytes the two disagree on are
			// read as a request.
			c.Response().Header().Set("Connection", "close")
		}
		if !s.hosts.allows(r) && !isProbe(c.Path()) {
			return s.refuse(c, http.StatusForbidden, "this server does not answer for the host the request names")
		}
		return s.boundBody(c, next)
	}
}

func (s *Server) isMCPRoute(route string) bool { return s.mcpPaths[route] }

func routeResources(routes []Route) []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = rt.Resource
	}
	return out
}

// Drain ends the MCP GET streams under way and those that start from now:
// a graceful stop waits for requests, and a stream never ends by itself.
func (s *Server) Drain() { s.stopDraining() }

// Shutdown stops the echo server's background parts.
func (s *Server) Shutdown(ctx context.Context) error { return s.echo.Shutdown(ctx) }

func allowAnyOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Access-Control-Allow-Origin", "*")
		return next(c)
	}
}

func preflight(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
	h.Set("Access-Control-Max-Age", "600")
	return c.NoContent(http.StatusNoContent)
}
