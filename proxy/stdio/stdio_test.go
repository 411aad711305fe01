package stdio

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/proxy/forward"
	"github.com/mcpgate/mcpgate/proxy/principal"
	"github.com/mcpgate/mcpgate/proxy/stdio/stdiotest"
)

// The test binary is also a stdio MCP server (STDIO_TEST_SERVER=1).
func TestMain(m *testing.M) { stdiotest.TestMain(m) }

var ada = &forward.Identity{Principal: &principal.Principal{Subject: "https://idp#ada", Email: "ada@example.com", Name: "Ada",
	Groups: []string{"eng", "ops"}, ClientID: "client-1"}}

// serve puts b behind an HTTP server that forwards every request for who.
func serve(t *testing.T, b *Backend, who *forward.Identity) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.Forward(w, r, who) }))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

func newBackend(t *testing.T, change func(*Options)) *Backend {
	t.Helper()
	opts := Options{Name: "test", Command: []string{os.Args[0]}, Env: map[string]string{"STDIO_TEST_SERVER": "1"},
		IdentityEnv: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if change != nil {
		change(&opts)
	}
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func connect(t *testing.T, url string, opts *mcp.ClientOptions) (*mcp.ClientSession, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A client of the last revision with sessions: what the session
	// tests are about (stateless clients are shared_test.go's).
	return mcp.NewClient(&mcp.Implementation{Name: "stdio-test-client", Version: "1"}, opts).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
}

func callText(t *testing.T, cs *mcp.ClientSession, tool string, args any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return res.Content[0].(*mcp.TextContent).Text
}

func pidOf(t *testing.T, cs *mcp.ClientSession) int {
	t.Helper()
	first, _, _ := strings.Cut(callText(t, cs, "env", nil), "\n")
	pid, err := strconv.Atoi(strings.TrimPrefix(first, "pid="))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitGone fails the test unless process pid is gone within 10 s.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	if !stdiotest.WaitGone(pid, 10*time.Second) {
		t.Fatalf("process %d still running", pid)
	}
}

func TestRelay(t *testing.T) {
	b := newBackend(t, nil)
	var mu sync.Mutex
	var progress []float64
	cs, err := connect(t, serve(t, b, ada), &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		progress = append(progress, req.Params.Progress)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if got := cs.InitializeResult().ServerInfo.Name; got != "stdio-test-server" {
		t.Errorf("server: got %q", got)
	}
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(tools.Tools) != 5 {
		t.Fatalf("tools/list: %v %v", tools, err)
	}
	if got := callText(t, cs, "echo", map[string]any{"text": "héllo"}); got != "héllo" {
		t.Errorf("echo: got %q", got)
	}
	params := &mcp.CallToolParams{Name: "progress"}
	params.SetProgressToken("p1")
	if _, err := cs.CallTool(context.Background(), params); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(progress) != "[1 2 3]" {
		t.Errorf("progress notifications: got %v, want [1 2 3] before the result", progress)
	}
}

// TestChildEnvironment: the process sees the user's identity and none of
// mcpgate's own environment.
func TestChildEnvironment(t *testing.T) {
	t.Setenv("MCPGATE_SESSION_SECRET", "leak-me-session-secret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "leak-me-aws")
	b := newBackend(t, nil)
	cs, err := connect(t, serve(t, b, ada), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	env := callText(t, cs, "env", nil)
	for _, want := range []string{"MCP_USER_SUB=https://idp#ada", "MCP_USER_EMAIL=ada@example.com", "MCP_USER_GROUPS=eng,ops", "MCP_CLIENT_ID=client-1", "STDIO_TEST_SERVER=1"} {
		if !strings.Contains(env, want+"\n") && !strings.HasSuffix(env, want) {
			t.Errorf("child environment lacks %s", want)
		}
	}
	if strings.Contains(env, "leak-me") || strings.Contains(env, "MCPGATE_") {
		t.Errorf("child environment holds mcpgate's secrets:\n%s", env)
	}
}

func TestLifecycle(t *testing.T) {
	t.Run("delete ends the process", func(t *testing.T) {
		b := newBackend(t, nil)
		cs, err := connect(t, serve(t, b, ada), nil)
		if err != nil {
			t.Fatal(err)
		}
		pid := pidOf(t, cs)
		cs.Close() // DELETE
		waitGone(t, pid)
		if n := b.Sessions(); n != 0 {
			t.Errorf("got %d sessions after DELETE, want 0", n)
		}
	})
	t.Run("idle timeout ends the process", func(t *testing.T) {
		b := newBackend(t, func(o *Options) { o.IdleTimeout = 300 * time.Millisecond })
		cs, err := connect(t, serve(t, b, ada), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		waitGone(t, pidOf(t, cs))
		if n := b.Sessions(); n != 0 {
			t.Errorf("got %d sessions after the idle timeout, want 0", n)
		}
	})
	t.Run("close ends every process", func(t *testing.T) {
		b := newBackend(t, nil)
		url := serve(t, b, ada)
		var pids []int
		for range 3 {
			cs, err := connect(t, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			pids = append(pids, pidOf(t, cs))
		}
		b.Close()
		for _, pid := range pids {
			waitGone(t, pid)
		}
	})
	t.Run("a crash mid-call is an error, and the next session works", func(t *testing.T) {
		b := newBackend(t, nil)
		url := serve(t, b, ada)
		cs, err := connect(t, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "crash"})
		if err == nil || !strings.Contains(err.Error(), "process ended") {
			t.Errorf("crash: got %v, want the JSON-RPC error saying the process ended", err)
		}
		cs.Close()
		next, err := connect(t, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer next.Close()
		if got := callText(t, next, "echo", map[string]any{"text": "again"}); got != "again" {
			t.Errorf("next session: got %q", got)
		}
	})
	t.Run("max processes", func(t *testing.T) {
		b := newBackend(t, func(o *Options) { o.MaxProcesses = 1 })
		url := serve(t, b, ada)
		cs, err := connect(t, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		_, err = connect(t, url, nil)
		if err == nil || !strings.Contains(err.Error(), "Service Unavailable") {
			t.Errorf("second session: got %v, want it refused", err)
		}
		if n := b.Sessions(); n != 1 {
			t.Errorf("got %d sessions, want 1", n)
		}
	})
}

// TestPerUserLimit: one user and client hold at most a quarter of
// max_processes, so that they cannot lock everyone else out.
func TestPerUserLimit(t *testing.T) {
	b := newBackend(t, func(o *Options) { o.MaxProcesses = 8 })
	url := serve(t, b, ada)
	for range 2 {
		cs, err := connect(t, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
	}
	if _, err := connect(t, url, nil); err == nil || !strings.Contains(err.Error(), "Too Many Requests") {
		t.Errorf("ada's third session: got %v, want 429", err)
	}
	eve := &forward.Identity{Principal: &principal.Principal{Subject: "https://idp#eve", ClientID: "client-1"}}
	cs, err := connect(t, serve(t, b, eve), nil)
	if err != nil {
		t.Fatalf("eve's first session: %v", err)
	}
	cs.Close()
}

// TestSessionOwner: a session id is no good to another user, nor to the
// same user through another client.
func TestSessionOwner(t *testing.T) {
	b := newBackend(t, nil)
	cs, err := connect(t, serve(t, b, ada), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	eve := &forward.Identity{Principal: &principal.Principal{Subject: "https://idp#eve", ClientID: "client-1"}}
	otherClient := &forward.Identity{Principal: &principal.Principal{Subject: ada.Subject, ClientID: "client-2"}}
	for name, who := range map[string]*forward.Identity{"another user": eve, "another client": otherClient} {
		req, _ := http.NewRequest(http.MethodPost, serve(t, b, who), strings.NewReader(`{"jsonrpc":"2.0","id":5,"method":"tools/list"}`))
		req.Header.Set("Mcp-Session-Id", cs.ID())
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: got %d, want 404", name, resp.StatusCode)
		}
	}
}

// TestChildCannotReadMCPGate: a hostile stdio child, running as mcpgate's
// user, tries its parent's /proc entries (the environment there still
// holds every secret mcpgate started with) and looks for descriptors it
// inherited: mcpgate's sockets or files.
//
// Run as root, the test runs itself again as an unprivileged user: a root
// mcpgate's capabilities alone keep a capability-less child out of its
// /proc entries, and only the non-root case shows that mcpgate's
// non-dumpable flag is what refuses the child.
func TestChildCannotReadMCPGate(t *testing.T) {
	if os.Geteuid() == 0 {
		rerunAsUnprivileged(t)
		return
	}
	t.Setenv("MCPGATE_SESSION_SECRET", "leak-me-session-secret")
	b := newBackend(t, nil)
	cs, err := connect(t, serve(t, b, ada), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	report := callText(t, cs, "snoop", nil)
	t.Logf("the child's report:\n%s", report)
	for _, f := range []string{"environ", "mem"} {
		if !strings.Contains(report, f+": refused (permission denied)") {
			t.Errorf("the child read mcpgate's /proc/<pid>/%s", f)
		}
	}
	if strings.Contains(report, "leak-me") {
		t.Error("the child's report holds mcpgate's secret")
	}
	var fds int
	for _, line := range strings.Split(report, "\n") {
		fd, target, ok := strings.Cut(strings.TrimPrefix(line, "fd "), "=")
		if !ok || !strings.HasPrefix(line, "fd ") {
			continue
		}
		fds++
		switch n, _ := strconv.Atoi(fd); {
		case n <= 2 && !strings.HasPrefix(target, "pipe:"):
			t.Errorf("the child's fd %s is %s, want its pipe to mcpgate", fd, target)
		case n > 2 && !strings.HasPrefix(target, "anon_inode:") && !strings.HasPrefix(target, "/sys/fs/cgroup/"):
			// The child's own Go runtime opens epoll and eventfd
			// descriptors and keeps its cgroup's CPU limit files open;
			// anything else came from mcpgate.
			t.Errorf("the child inherited fd %s = %s", fd, target)
		}
	}
	if fds < 3 {
		t.Errorf("the child listed %d descriptors, want at least stdin, stdout and stderr", fds)
	}
}

// rerunAsUnprivileged runs the calling test again, as uid and gid 65532
// (the image's user), from a copy of the test binary that user can run.
func rerunAsUnprivileged(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	bin, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "stdio.test")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()+"/"); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(exe, "-test.run", "^"+t.Name()+"$", "-test.v")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
	out, err := cmd.CombinedOutput()
	t.Logf("as uid 65532:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("as uid 65532: %v", err)
	}
}
