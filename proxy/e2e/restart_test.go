package e2e_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// buildMcpgate compiles the real binary once per test run.
func buildMcpgate(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mcpgate-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "mcpgate")
		out, err := exec.Command("go", "build", "-o", builtBin, "github.com/mcpgate/mcpgate/cmd/mcpgate").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build mcpgate: %v", buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	// The in-process example OP logs every request to the default logger.
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a running `mcpgate serve`.
type process struct {
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{}
}

// syncBuffer collects a process's log while the test may read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProcess runs `mcpgate serve` and waits until healthURL answers 200;
// probeHost, when set, is the Host the probe sends (a replica behind the
// test's balancer answers only for the public host).
func startProcess(t *testing.T, bin string, env []string, healthURL, probeHost string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, "serve"), log: &syncBuffer{}, exited: make(chan struct{})}
	// Many mcpgates run at once here: each its own metrics port.
	p.cmd.Env = append(append(os.Environ(), "MCPGATE_METRICS_LISTEN=127.0.0.1:0"), env...)
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			t.Fatalf("mcpgate exited at start; its log:\n%s", p.log)
		default:
		}
		probe, _ := http.NewRequest(http.MethodGet, healthURL, nil)
		if probeHost != "" {
			probe.Host = probeHost
		}
		if resp, err := http.DefaultClient.Do(probe); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("mcpgate did not come up; its log:\n%s", p.log)
	return nil
}

// kill ends the process the hard way: nothing gets a chance to flush.
func (p *process) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// TestRestartKeepsState: with the SQLite store, a registered client, a
// refresh token and the signing keys survive a kill -9 and restart.
func TestRestartKeepsState(t *testing.T) {
	bin := buildMcpgate(t)
	addr := freeAddr(t)
	base := "http://" + addr
	idp := startIdP(t, base+"/oauth/callback")
	env := []string{
		"MCPGATE_PUBLIC_URL=" + base,
		"MCPGATE_LISTEN=" + addr,
		"MCPGATE_STORE=sqlite://" + filepath.Join(t.TempDir(), "mcpgate.db"),
		"MCPGATE_UPSTREAM_ISSUER=" + idp.Issuer(),
		"MCPGATE_UPSTREAM_CLIENT_ID=" + idp.ClientID,
		"MCPGATE_UPSTREAM_CLIENT_SECRET=" + upstreamClientSecret,
		"MCPGATE_BACKEND_URL=http://127.0.0.1:1/mcp",
	}
	health := base + "/.well-known/oauth-authorization-server"
	g := &gateway{URL: base, IdP: idp}

	first := startProcess(t, bin, env, health, "")
	c := g.registerPublic(t)
	tokens := g.exchange(t, c, g.code(t, c))
	if tokens.Status != http.StatusOK {
		t.Fatalf("exchange before restart: %d %s", tokens.Status, tokens.Error)
	}
	first.kill()

	startProcess(t, bin, env, health, "")
	claims := verifyWithJWKS(t, base+"/jwks", tokens.AccessToken)
	if claims.ClientID != c.ID {
		t.Errorf("token signed before the restart: client_id got %q, want %q", claims.ClientID, c.ID)
	}
	if status := mcpStatus(t, g, tokens.AccessToken); status == http.StatusUnauthorized {
		t.Errorf("token signed before the restart refused at the MCP endpoint")
	}
	refreshed := g.refresh(t, c, tokens.RefreshToken)
	if refreshed.Status != http.StatusOK {
		t.Fatalf("refresh after restart: got %d %q (%s)", refreshed.Status, refreshed.Error, refreshed.Description)
	}
	if again := g.exchange(t, c, g.code(t, c)); again.Status != http.StatusOK {
		t.Fatalf("client registered before the restart cannot sign in: %d %s", again.Status, again.Error)
	}
}

// mcpStatus is the status of a ping with accessToken at the MCP endpoint
// (401 when mcpgate refuses the token; the backend answers the rest).
func mcpStatus(t testing.TB, g *gateway, accessToken string) int {
	t.Helper()
	status, _ := g.postMCP(t, accessToken, `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	return status
}

// postMCP posts a JSON-RPC body with accessToken (none when "") to the
// MCP endpoint and returns the status and the answer.
func (g *gateway) postMCP(t testing.TB, accessToken, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.resource(), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readBody(t, resp)
}
