package benchmark

import (
	"context"
	"errors"
	"fmt"
	"github.com/mcpgate/mcpgate/proxy/dpop"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Target is one endpoint the load is sent to.
type Target struct {
	// Name is "direct", "bare" or "mcpgate".
	Name string `json:"name"`
	// URL is the MCP endpoint, e.g. http://127.0.0.1:41234/mcp.
	URL string `json:"url"`
	// Token is the bearer token to send; empty for the unauthenticated
	// targets.
	Token string `json:"token,omitempty"`
	// DPoPKey, when set, is the key Token is bound to (base64 PKCS #8):
	// every request then carries a fresh DPoP proof by it.
	DPoPKey string `json:"dpop_key,omitempty"`
}

// Servers are running targets and how to stop them.
type Servers struct {
	List  []Target
	close []func()
}

// StartTargets starts all three targets in this process: (a) direct,
// (b) bare reverse proxy and (c) mcpgate, in the order rounds interleave
// them, in front of a backend of the given kind.
func StartTargets(ctx context.Context, backend string) (*Servers, error) {
	all := &Servers{}
	b, err := StartBackend(backend)
	if err != nil {
		return nil, err
	}
	all.add(b)
	for _, start := range []func(context.Context, string) (*Servers, error){StartBare, StartMCPGate} {
		s, err := start(ctx, b.List[0].URL)
		if err != nil {
			all.Close()
			return nil, err
		}
		all.add(s)
	}
	return all, nil
}

func (s *Servers) add(o *Servers) {
	s.List = append(s.List, o.List...)
	s.close = append(s.close, o.close...)
}

// StartBackend serves a backend of the given kind at /mcp: target (a).
func StartBackend(kind string) (*Servers, error) {
	h, err := NewBackendKind(kind)
	if err != nil {
		return nil, err
	}
	s := &Servers{}
	base, err := s.serve(h)
	if err != nil {
		return nil, err
	}
	s.List = []Target{{Name: "direct", URL: base + "/mcp"}}
	return s, nil
}

// StartBare starts the bare reverse proxy in front of backendURL: (b).
func StartBare(_ context.Context, backendURL string) (*Servers, error) {
	bu, err := url.Parse(backendURL)
	if err != nil {
		return nil, err
	}
	s := &Servers{}
	base, err := s.serve(NewBareProxy(bu))
	if err != nil {
		return nil, err
	}
	s.List = []Target{{Name: "bare", URL: base + "/mcp"}}
	return s, nil
}

// The kinds of token the mcpgate target is called with.
const (
	TokenAccess   = "access"
	TokenPersonal = "pat"
	// TokenDPoP is an access token bound to a DPoP key (RFC 9449).
	TokenDPoP = "dpop"
)

// StartMCPGate starts mcpgate (with its IdP) in front of backendURL and
// signs in for an access token: (c).
func StartMCPGate(ctx context.Context, backendURL string) (*Servers, error) {
	return StartMCPGateWith(ctx, backendURL, TokenAccess)
}

// StartMCPGateWith is StartMCPGate with a token of kind (TokenAccess or
// TokenPersonal).
func StartMCPGateWith(ctx context.Context, backendURL, kind string) (*Servers, error) {
	gw, err := StartGateway(ctx, backendURL)
	if err != nil {
		return nil, err
	}
	get := gw.AccessToken
	var dpopKey string
	switch kind {
	case TokenAccess:
	case TokenPersonal:
		get = gw.PersonalToken
	case TokenDPoP:
		key, err := dpop.NewKey()
		if err == nil {
			dpopKey, err = dpop.MarshalKey(key)
			gw.DPoP = key
		}
		if err != nil {
			gw.Close()
			return nil, err
		}
	default:
		gw.Close()
		return nil, fmt.Errorf("benchmark: unknown token kind %q", kind)
	}
	token, err := get(ctx)
	if err != nil {
		gw.Close()
		return nil, err
	}
	return &Servers{List: []Target{{Name: "mcpgate", URL: gw.MCPURL(), Token: token, DPoPKey: dpopKey}}, close: []func(){gw.Close}}, nil
}

// serve runs h on a fresh loopback listener with the http.Server settings
// mcpgate's own server uses, and returns its base URL.
func (s *Servers) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go srv.Serve(ln)
	s.close = append(s.close, func() { srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// Close stops everything, in reverse order of start.
func (s *Servers) Close() {
	for i := len(s.close) - 1; i >= 0; i-- {
		s.close[i]()
	}
	s.close = nil
}

// ByName returns the named target.
func (s *Servers) ByName(name string) (Target, error) {
	for _, x := range s.List {
		if x.Name == name {
			return x, nil
		}
	}
	return Target{}, errors.New("benchmark: no target " + name)
}
