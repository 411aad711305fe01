package e2e_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/upstream/devidp"
)

// TestDemo runs `mcpgate demo` as a user would and signs in through its
// development IdP with the go-sdk client; protected-data must return the
// identity typed on the login page.
func TestDemo(t *testing.T) {
	bin := buildMcpgate(t)
	cmd := exec.Command(bin, "demo", "--listen", freeAddr(t), "--store", "memory:")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	mcpURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "MCP server URL:"); ok {
				mcpURL <- strings.TrimSpace(rest)
			}
		}
	}()
	var endpoint string
	select {
	case endpoint = <-mcpURL:
	case <-time.After(20 * time.Second):
		t.Fatal("the demo printed no MCP URL")
	}
	base := strings.TrimSuffix(endpoint, "/mcp")
	g := &gateway{URL: base}

	b := newBrowser(t)
	handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{
				ClientName:              "demo test",
				RedirectURIs:            []string{"http://127.0.0.1:7778/callback"},
				TokenEndpointAuthMethod: "none",
				GrantTypes:              []string{"authorization_code", "refresh_token"},
			},
		},
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			upstreamURL := g.approve(t, b, args.URL)
			cb, err := devidp.SubmitLogin(ctx, b.client, upstreamURL, "Ada Lovelace", "ada@example.com", []string{"engineering"})
			if err != nil {
				return nil, err
			}
			back := g.followCallback(t, b, cb.String())
			q := back.Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "demo-test", Version: "1"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:     endpoint,
		HTTPClient:   &http.Client{Timeout: 20 * time.Second},
		OAuthHandler: handler,
	}, nil)
	if err != nil {
		t.Fatalf("connect through mcpgate: %v", err)
	}
	defer session.Close()

	tools, err := session.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	if strings.Join(names, ",") != "protected-data,public-info" && strings.Join(names, ",") != "public-info,protected-data" {
		t.Errorf("tools: got %v, want public-info and protected-data", names)
	}
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "protected-data"})
	if err != nil {
		t.Fatal(err)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	for _, want := range []string{"email: ada@example.com", "groups: engineering", "user: " + base + "/_devidp#dev-"} {
		if !strings.Contains(text, want) {
			t.Errorf("protected-data: got %q, want it to contain %q", text, want)
		}
	}
	if res.IsError {
		t.Errorf("protected-data reported an error: %s", text)
	}
}

// TestDemoBackend runs `mcpgate demo backend` as deploy/compose does, puts
// an mcpgate in front of it, and calls protected-data through it: the
// backend reports the identity mcpgate sent, and SIGTERM stops it.
func TestDemoBackend(t *testing.T) {
	addr := freeAddr(t)
	cmd := exec.Command(buildMcpgate(t), "demo", "backend", "--listen", addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitListening(t, addr)

	g := startGateway(t, gatewayOptions{mutate: func(c *config.Config) { c.Backend.URL = "http://" + addr + "/mcp" }})
	token := g.accessToken(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "demo-backend-test", Version: "1"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   g.resource(),
		HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: bearer{token}},
	}, nil)
	if err != nil {
		t.Fatalf("connect through mcpgate: %v", err)
	}
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "protected-data"})
	if err != nil {
		t.Fatal(err)
	}
	if text := res.Content[0].(*mcp.TextContent).Text; res.IsError || !strings.Contains(text, "email: "+g.IdP.Email) {
		t.Errorf("protected-data: %q (error %v), want the signed-in user's email %s", text, res.IsError, g.IdP.Email)
	}
	session.Close()

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("demo backend after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo backend still running 10 s after SIGTERM")
	}
}

// waitListening waits until something accepts connections at addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens at %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
