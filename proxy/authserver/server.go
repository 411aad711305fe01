package authserver

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/policy"
	"github.com/mcpgate/mcpgate/proxy/signer"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// Config is what the authorization server needs to know of the deployment.
type Config struct {
	// Issuer is mcpgate's issuer identifier (its public base URL).
	Issuer string
	// Resource is the canonical URL of the protected MCP resource: the only
	// audience mcpgate issues tokens for.
	Resource string
	// Scopes are the resource's scopes; a request without scope gets all.
	Scopes []string
	// StrictScopes refuses scopes mcpgate does not offer (invalid_scope,
	// invalid_client_metadata) instead of dropping them, as RFC 6749 §3.3
	// and RFC 7591 §2 let a server do.
	StrictScopes bool

	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	CodeTTL         time.Duration
	RefreshGrace    time.Duration
	// FlowTTL bounds a pending authorization, including the upstream state.
	FlowTTL             time.Duration
	ConsentTTL          time.Duration
	DynamicRegistration bool
	// Registration is the dynamic registration policy.
	Registration RegistrationPolicy

	// StaticClients are registered in configuration.
	StaticClients []StaticClient
	// ServiceAccounts may use the client_credentials grant.
	ServiceAccounts []ServiceAccount
	// Policy decides who may sign in and who may hold the scopes its
	// rules name; nil lets everyone in.
	Policy *policy.Current
	// ReuseSignIn lets a flow use the identity the browser's session keeps
	// instead of an upstream login.
	ReuseSignIn bool
	// Upstream, when set, keeps the IdP's grants and checks them on
	// refresh.
	Upstream *UpstreamTracking
	// Resources are every protected resource tokens are issued for, when
	// there are several; empty means the one Resource with Scopes and
	// Policy. New sets Resource and Scopes to the first.
	Resources []Resource
}

// Resource is one protected resource (an MCP backend) tokens are issued
// for: its identifier, its scopes, and the policy whose rules decide who
// may hold the scopes they name.
type Resource struct {
	URL    string
	Scopes []string
	// Policy is nil to use Config.Policy.
	Policy *policy.Current
}

// Server is the authorization server. Create it with New.
type Server struct {
	cfg      Config
	tracking *UpstreamTracking
	static   map[string]StaticClient
	accounts map[string]ServiceAccount
	cimd     MetadataResolver
	store    store.Store
	signer   signer.Signer
	idps     []IdP
	revoked  Revoked
	audit    func(SignInDecision)
	// tokenAudit records personal access tokens made and revoked.
	tokenAudit func(TokenEvent)
	replay     func(kind string)
	clients    *clientCache
	// upstreamTokens are the IdP access tokens sent to backends lately.
	upstreamTokens upstreamTokens
	log            *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// Deps are the seams the server works through.
type Deps struct {
	Store  store.Store
	Signer signer.Signer
	// IdPs are the upstream identity providers, at least one; with
	// several, users choose (or are routed by email domain).
	IdPs   []IdP
	Logger *slog.Logger
	// ClientMetadata resolves URL client ids; nil turns CIMD off.
	ClientMetadata MetadataResolver
	// Revoked learns of this replica's revocations at once; may be nil.
	Revoked Revoked
	// Audit records every sign-in decision; may be nil.
	Audit func(SignInDecision)
	// TokenAudit records every personal access token made or revoked;
	// may be nil.
	TokenAudit func(TokenEvent)
	// Replay learns of every replay detected: "code" (an authorization
	// code used twice) or "refresh_token" (a rotated one after its grace);
	// may be nil.
	Replay func(kind string)
}

// New returns a Server.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Store == nil || deps.Signer == nil || len(deps.IdPs) == 0 {
		return nil, errors.New("authserver: store, signer and an upstream IdP are required")
	}
	names := map[string]bool{}
	for _, idp := range deps.IdPs {
		if idp.Provider == nil || names[idp.Name] || (idp.Name == "" && len(deps.IdPs) > 1) {
			return nil, errors.New("authserver: IdPs need a provider each and distinct names (\"\" only when alone)")
		}
		names[idp.Name] = true
	}
	if len(cfg.Resources) == 0 {
		cfg.Resources = []Resource{{URL: cfg.Resource, Scopes: cfg.Scopes, Policy: cfg.Policy}}
	}
	cfg.Resource, cfg.Scopes = cfg.Resources[0].URL, cfg.Resources[0].Scopes
	if cfg.FlowTTL == 0 {
		cfg.FlowTTL = 10 * time.Minute
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		cfg: cfg, store: deps.Store, signer: deps.Signer, idps: slices.Clone(deps.IdPs), log: log, Now: time.Now,
		static:     map[string]StaticClient{},
		accounts:   map[string]ServiceAccount{},
		cimd:       deps.ClientMetadata,
		revoked:    deps.Revoked,
		audit:      deps.Audit,
		tokenAudit: deps.TokenAudit,
		replay:     deps.Replay,
		clients:    newClientCache(),
		tracking:   cfg.Upstream,
	}
	isolate(s.idps)
	for _, c := range cfg.StaticClients {
		s.static[c.Client.ID] = c
	}
	for _, a := range cfg.ServiceAccounts {
		if _, dup := s.static[a.ID]; dup {
			return nil, fmt.Errorf("authserver: %q is both a client and a service account", a.ID)
		}
		s.accounts[a.ID] = a
	}
	return s, nil
}

// Config returns the server's configuration.
func (s *Server) Config() Config { return s.cfg }

// KnownScopes are the scopes a client may ask for: every resource's, and
// offline_access, which every MCP client gets anyway.
func (s *Server) KnownScopes() []string {
	var out []string
	for _, r := range s.cfg.Resources {
		for _, sc := range r.Scopes {
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	return append(out, oauth.ScopeOfflineAccess)
}

// resource returns the served resource with identifier url (one that
// resolveResource returned, or a grant is bound to).
func (s *Server) resource(url string) *Resource {
	for i := range s.cfg.Resources {
		if s.cfg.Resources[i].URL == url {
			return &s.cfg.Resources[i]
		}
	}
	return &Resource{URL: url}
}

// rulesFor is the policy whose rules apply to tokens for resource.
func (s *Server) rulesFor(resource string) *policy.Policy {
	if r := s.resource(resource); r.Policy != nil {
		return r.Policy.Load()
	}
	return s.cfg.Policy.Load()
}

// unavailable reports whether err means the store is down: the HTTP layer
// answers 503 then, not 500.
func unavailable(err error) bool { return errors.Is(err, store.ErrUnavailable) }

// internal wraps an unexpected error so that the HTTP layer logs it and
// answers with a fixed message.
func internal(op string, err error) error {
	return fmt.Errorf("authserver: %s: %w", op, err)
}

func (s *Server) now() time.Time { return s.Now().UTC() }

// IsUnavailable reports whether err comes from a store that cannot be reached.
func IsUnavailable(err error) bool { return unavailable(err) }
