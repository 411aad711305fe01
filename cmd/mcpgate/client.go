package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mcpgate/mcpgate/proxy/client"
	"github.com/mcpgate/mcpgate/proxy/client/bridge"
)

// clientFlags are the flags every client command shares, and those of a
// sign-in (login, and connect when it has to sign in).
type clientFlags struct {
	credentials                  string
	noBrowser                    bool
	browser                      string
	port                         int
	clientID, clientSecret       string
	clientMetadataURL, scopeList string
	verbose                      bool
	noDPoP                       bool
	// Enterprise-managed authorization: the company IdP's token endpoint,
	// this client at the IdP, and the user's ID token.
	idpIssuer, idpTokenEndpoint, idpClientID, idpClientSecret, idpIDToken string
}

func (f *clientFlags) register(fs *flag.FlagSet, signIn bool) {
	fs.StringVar(&f.credentials, "credentials", "", "the credentials file (default: mcpgate/credentials.json in the user's configuration directory)")
	fs.BoolVar(&f.verbose, "v", false, "log what happens on stderr")
	if !signIn {
		return
	}
	fs.BoolVar(&f.noBrowser, "no-browser", false, "print the sign-in URL instead of opening a browser")
	fs.StringVar(&f.browser, "browser", "", "command that opens the sign-in URL (default: $BROWSER, else the system's opener)")
	fs.IntVar(&f.port, "port", 0, "port of the loopback listener for the sign-in's answer (default: a free one)")
	fs.StringVar(&f.clientID, "client-id", "", "a client registered beforehand at the server's authorization server")
	fs.StringVar(&f.clientSecret, "client-secret", "", "its secret, if it has one (also MCPGATE_CLIENT_SECRET)")
	fs.StringVar(&f.clientMetadataURL, "client-metadata-url", "", "this client's Client ID Metadata Document (an https URL), used where the server supports them")
	fs.StringVar(&f.scopeList, "scope", "", "scopes to ask for, space-separated (default: what the server names)")
	fs.BoolVar(&f.noDPoP, "no-dpop", false, "ask for bearer tokens even where the server would bind them to this machine's key (DPoP): for scripts sending the token themselves")
	fs.StringVar(&f.idpIssuer, "idp-issuer", "", "enterprise-managed authorization: the company IdP (OpenID Connect issuer), where the user signs in when no ID token is given; its discovery names the token endpoint")
	fs.StringVar(&f.idpTokenEndpoint, "idp-token-endpoint", "", "enterprise-managed authorization: the company IdP's token endpoint, where the user's ID token is exchanged for an ID-JAG wherever the server takes one")
	fs.StringVar(&f.idpClientID, "idp-client-id", "", "this client's id at the company IdP (with --idp-token-endpoint)")
	fs.StringVar(&f.idpClientSecret, "idp-client-secret", "", "its secret at the IdP, if any (also MCPGATE_IDP_CLIENT_SECRET)")
	fs.StringVar(&f.idpIDToken, "idp-id-token", "", "the user's ID token from the company IdP (also MCPGATE_IDP_ID_TOKEN)")
}

// clientCommand parses a client command's flags and its one argument, the
// MCP server URL, and builds the client.
func clientCommand(name string, args, environ []string, stderr io.Writer, signIn bool) (*client.Client, string, int) {
	return clientCommandWith(name, args, environ, stderr, signIn, nil)
}

// clientCommandWith is clientCommand for a command taking more arguments
// after the URL, which go to rest.
func clientCommandWith(name string, args, environ []string, stderr io.Writer, signIn bool, rest *[]string) (*client.Client, string, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mcpgate %s [flags] <mcp-server-url>\n", name)
		fs.PrintDefaults()
	}
	var f clientFlags
	f.register(fs, signIn)
	if err := fs.Parse(args); err != nil {
		return nil, "", 2
	}
	if fs.NArg() < 1 || (fs.NArg() > 1 && rest == nil) {
		fs.Usage()
		return nil, "", 2
	}
	if rest != nil {
		*rest = fs.Args()[1:]
	}
	resource, err := serverURL(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "mcpgate %s: %v\n", name, err)
		return nil, "", 2
	}
	path := f.credentials
	if path == "" {
		if path, err = client.DefaultStorePath(); err != nil {
			fmt.Fprintf(stderr, "mcpgate %s: %v\n", name, err)
			return nil, "", 1
		}
	}
	logLevel := slog.LevelWarn
	if f.verbose {
		logLevel = slog.LevelDebug
	}
	c := &client.Client{
		Store:             &client.Store{Path: path},
		Port:              f.port,
		ClientID:          f.clientID,
		ClientSecret:      f.clientSecret,
		ClientMetadataURL: f.clientMetadataURL,
		Scopes:            strings.Fields(f.scopeList),
		NoDPoP:            f.noDPoP,
		Out:               stderr,
		Log:               slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel})),
	}
	if c.ClientSecret == "" {
		c.ClientSecret = lookupEnv(environ, "MCPGATE_CLIENT_SECRET")
	}
	if f.idpTokenEndpoint != "" || f.idpIssuer != "" {
		e := &client.Enterprise{Issuer: f.idpIssuer, TokenEndpoint: f.idpTokenEndpoint, ClientID: f.idpClientID, ClientSecret: f.idpClientSecret, IDToken: f.idpIDToken}
		if e.ClientSecret == "" {
			e.ClientSecret = lookupEnv(environ, "MCPGATE_IDP_CLIENT_SECRET")
		}
		if e.IDToken == "" {
			e.IDToken = lookupEnv(environ, "MCPGATE_IDP_ID_TOKEN")
		}
		if e.ClientID == "" || (e.IDToken == "" && e.Issuer == "") {
			fmt.Fprintf(stderr, "mcpgate %s: enterprise-managed authorization needs --idp-client-id, and --idp-issuer to sign in at or the user's ID token (--idp-id-token or MCPGATE_IDP_ID_TOKEN)\n", name)
			return nil, "", 2
		}
		c.Enterprise = e
	}
	switch {
	case f.noBrowser:
		c.Browser = client.PrintURL(stderr)
	case f.browser != "":
		c.Browser = client.Command(f.browser)
	case lookupEnv(environ, "BROWSER") != "":
		c.Browser = client.Command(lookupEnv(environ, "BROWSER"))
	}
	return c, resource, 0
}

// serverURL checks the MCP server URL: absolute http(s), no fragment, no
// credentials; https unless the host is loopback.
func serverURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%q is not an http(s) URL of an MCP server", raw)
	}
	if u.User != nil || u.Fragment != "" {
		return "", fmt.Errorf("the MCP server URL must carry no credentials and no fragment")
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("%s: tokens would cross the network in the clear; use https", raw)
	}
	return u.String(), nil
}

func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "127.")
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func login(args, environ []string, stdout, stderr io.Writer) int {
	c, resource, code := clientCommand("login", args, environ, stderr, true)
	if c == nil {
		return code
	}
	ctx, stop := signalContext()
	defer stop()
	creds, err := c.Login(ctx, resource)
	if err != nil {
		fmt.Fprintf(stderr, "mcpgate login: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Signed in to %s (authorization server %s; scopes: %s).\n", resource, creds.Issuer, strings.Join(creds.Scopes, " "))
	return 0
}

func token(args, environ []string, stdout, stderr io.Writer) int {
	var rest []string
	c, resource, code := clientCommandWith("token", args, environ, stderr, false, &rest)
	if c == nil {
		return code
	}
	ctx, stop := signalContext()
	defer stop()
	// mcpgate token URL --headers METHOD: the request headers, with a DPoP
	// proof for one request when the token is bound (curl -H @file).
	if len(rest) == 2 && rest[0] == "--headers" {
		h, err := c.AuthorizationHeaders(ctx, resource, strings.ToUpper(rest[1]), resource, false)
		if err != nil {
			return tokenFailed(stderr, resource, err)
		}
		for _, k := range []string{"Authorization", "DPoP"} {
			if v := h.Get(k); v != "" {
				fmt.Fprintf(stdout, "%s: %s\n", k, v)
			}
		}
		return 0
	}
	if len(rest) != 0 {
		fmt.Fprintln(stderr, "usage: mcpgate token [--credentials FILE] <mcp-server-url> [--headers METHOD]")
		return 2
	}
	if cr, _ := c.Store.Get(resource); cr != nil && cr.TokenType == "DPoP" {
		fmt.Fprintf(stderr, "mcpgate token: the token is bound to this machine's DPoP key; send it with a proof: mcpgate token %s --headers POST\n", resource)
	}
	tok, err := c.Token(ctx, resource, false)
	if err != nil {
		return tokenFailed(stderr, resource, err)
	}
	fmt.Fprintln(stdout, tok)
	return 0
}

func tokenFailed(stderr io.Writer, resource string, err error) int {
	if errors.Is(err, client.ErrSignInNeeded) {
		fmt.Fprintf(stderr, "mcpgate token: not signed in to %s: run mcpgate login %s\n", resource, resource)
	} else {
		fmt.Fprintf(stderr, "mcpgate token: %v\n", err)
	}
	return 1
}

func logout(args, environ []string, stdout, stderr io.Writer) int {
	c, resource, code := clientCommand("logout", args, environ, stderr, false)
	if c == nil {
		return code
	}
	ctx, stop := signalContext()
	defer stop()
	if err := c.Logout(ctx, resource); err != nil {
		fmt.Fprintf(stderr, "mcpgate logout: %v (the tokens are forgotten all the same)\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Signed out of %s.\n", resource)
	return 0
}

// connect bridges stdin and stdout to the MCP server: what a stdio-only
// MCP host launches as its server. Everything for the user goes to
// stderr; stdout carries only MCP messages.
func connect(args, environ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c, resource, code := clientCommand("connect", args, environ, stderr, true)
	if c == nil {
		return code
	}
	ctx, stop := signalContext()
	defer stop()
	b := &bridge.Bridge{
		URL:  resource,
		HTTP: &http.Client{Transport: http.DefaultTransport},
		Auth: &client.ServerAuth{Client: c, Resource: resource},
		In:   stdin,
		Out:  stdout,
		Log:  c.Log,
	}
	if err := b.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "mcpgate connect: %v\n", err)
		return 1
	}
	return 0
}

// account lists or revokes, at an mcpgate server, the signed-in user's
// connected clients and personal access tokens:
//
//	mcpgate account URL                      list both
//	mcpgate account URL revoke-client ID     end a client's access
//	mcpgate account URL revoke-token ID      revoke a personal access token
func account(args, environ []string, stdout, stderr io.Writer) int {
	var action []string
	c, resource, code := clientCommandWith("account", args, environ, stderr, false, &action)
	if c == nil {
		return code
	}
	ctx, stop := signalContext()
	defer stop()
	var err error
	switch {
	case len(action) == 0:
		err = listAccount(ctx, c, resource, stdout)
	case len(action) == 2 && action[0] == "revoke-client":
		if err = c.RevokeClient(ctx, resource, action[1]); err == nil {
			fmt.Fprintf(stdout, "Revoked the access of client %s.\n", action[1])
		}
	case len(action) == 2 && action[0] == "revoke-token":
		if err = c.RevokePersonalToken(ctx, resource, action[1]); err == nil {
			fmt.Fprintf(stdout, "Revoked personal access token %s.\n", action[1])
		}
	default:
		fmt.Fprintln(stderr, "usage: mcpgate account [--credentials FILE] <mcpgate-mcp-url> [revoke-client CLIENT_ID | revoke-token TOKEN_ID]")
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpgate account: %v\n", err)
		return 1
	}
	return 0
}

func listAccount(ctx context.Context, c *client.Client, resource string, w io.Writer) error {
	clients, err := c.ConnectedClients(ctx, resource)
	if err != nil {
		return err
	}
	tokens, err := c.PersonalTokens(ctx, resource)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTED CLIENT\tNAME\tLAST USED\tSCOPES")
	for _, cl := range clients {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cl.ClientID, cl.Name, cl.LastUsed.Format(time.DateTime), strings.Join(cl.Scopes, " "))
	}
	fmt.Fprintln(tw, "\t\t\t")
	fmt.Fprintln(tw, "PERSONAL TOKEN\tNAME\tEXPIRES\tSCOPES")
	for _, t := range tokens {
		expires := "never"
		if t.ExpiresAt != nil {
			expires = t.ExpiresAt.Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Name, expires, strings.Join(t.Scopes, " "))
	}
	return tw.Flush()
}
