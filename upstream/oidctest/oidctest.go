package oidctest

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// Options describe the confidential web client registered at the IdP.
type Options struct {
	// ClientID and ClientSecret default to "mcpgate-test" and
	// "mcpgate-test-secret".
	ClientID     string
	ClientSecret string
	// RedirectURIs are matched exactly by the IdP; at least one is required.
	RedirectURIs []string
}

// IdP is a running example OpenID Provider with one known user.
type IdP struct {
	// Username and Password sign in the user described by the fields below.
	Username string
	Password string
	// Subject is the user's upstream sub claim (not prefixed by the issuer).
	Subject       string
	Email         string
	EmailVerified bool
	Name          string

	srv       *httptest.Server
	redirects []*url.URL
}

// Start runs an IdP on a random 127.0.0.1 port until the test ends.
func Start(tb testing.TB, opts Options) *IdP {
	tb.Helper()
	if opts.ClientID == "" {
		opts.ClientID = "mcpgate-test"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "mcpgate-test-secret"
	}
	if len(opts.RedirectURIs) == 0 {
		tb.Fatal("oidctest: Options.RedirectURIs is empty")
	}
	idp := &IdP{}
	for _, r := range opts.RedirectURIs {
		u, err := url.Parse(r)
		if err != nil {
			tb.Fatalf("oidctest: redirect URI %q: %v", r, err)
		}
		idp.redirects = append(idp.redirects, u)
	}

	// The issuer is the listener's URL, which only exists once the server
	// is created; hence an unstarted server whose handler is set afterwards.
	idp.srv = httptest.NewUnstartedServer(nil)
	issuer := "http://" + idp.srv.Listener.Addr().String()
	users := storage.NewUserStore(issuer)
	// A client map of our own rather than storage.RegisterClients: that one
	// is a package-global map written without a lock, racy across parallel
	// tests.
	clients := map[string]*storage.Client{
		opts.ClientID: storage.WebClient(opts.ClientID, opts.ClientSecret, opts.RedirectURIs...),
	}
	st := storage.NewStorageWithClients(users, clients)
	// nil logger: a non-nil one would replace the process-wide slog default.
	// SetupServer already allows the http issuer (op.WithAllowInsecure).
	idp.srv.Config.Handler = exampleop.SetupServer(issuer, st, nil, false)
	idp.srv.Start()
	tb.Cleanup(idp.Close)

	// "id1" is the example store's first user; its fields are copied so the
	// tests state what the IdP will assert about it.
	u := users.GetUserByID("id1")
	idp.Username, idp.Password = u.Username, u.Password
	idp.Subject, idp.Email, idp.EmailVerified = u.ID, u.Email, u.EmailVerified
	idp.Name = u.FirstName + " " + u.LastName
	return idp
}

// Issuer is the IdP's issuer URL (http://127.0.0.1:port, no trailing slash).
func (i *IdP) Issuer() string { return i.srv.URL }

// Close stops the IdP; Start also arranges it at test cleanup.
func (i *IdP) Close() { i.srv.Close() }
