package stdio

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/proxy/forward"
	"github.com/mcpgate/mcpgate/proxy/principal"
)

var bob = &forward.Identity{Principal: &principal.Principal{Subject: "https://idp#bob", Email: "bob@example.com", ClientID: "client-1"}}

// connectVersion connects a go-sdk client that speaks the given revision:
// 2025-11-25 starts a session with initialize; 2026-07-28 is stateless
// when the server answers server/discover.
func connectVersion(t *testing.T, url, version string, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "stdio-test-client", Version: "1"}, opts).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect (%s): %v", version, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// progressRecorder collects the progress a client is sent, by token.
type progressRecorder struct {
	mu  sync.Mutex
	got map[any][]float64
}

func (p *progressRecorder) options() *mcp.ClientOptions {
	p.got = map[any][]float64{}
	return &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.got[req.Params.ProgressToken] = append(p.got[req.Params.ProgressToken], req.Params.Progress)
	}}
}

func (p *progressRecorder) of(token any) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprint(p.got[token])
}

func callProgress(t *testing.T, cs *mcp.ClientSession, token string) {
	t.Helper()
	params := &mcp.CallToolParams{Name: "progress"}
	params.SetProgressToken(token)
	if _, err := cs.CallTool(context.Background(), params); err != nil {
		t.Errorf("progress: %v", err)
	}
}

// TestSharedSessions: with sessions: shared, two users' sessions use one
// process; their ids and progress tokens collide on purpose and each
// still gets exactly its own answers.
func TestSharedSessions(t *testing.T) {
	b := newBackend(t, func(o *Options) { o.Shared, o.IdentityEnv = true, false })
	var adaProgress, bobProgress progressRecorder
	a := connectVersion(t, serve(t, b, ada), "2025-11-25", adaProgress.options())
	c := connectVersion(t, serve(t, b, bob), "2025-11-25", bobProgress.options())
	if a.ID() == "" || c.ID() == "" || a.ID() == c.ID() {
		t.Fatalf("session ids %q and %q: want two sessions", a.ID(), c.ID())
	}
	if got := a.InitializeResult().ServerInfo.Name; got != "stdio-test-server" {
		t.Errorf("the second session's initialize: server %q", got)
	}
	pid := pidOf(t, a)
	if other := pidOf(t, c); other != pid {
		t.Fatalf("pids %d and %d: want one shared process", pid, other)
	}

	var wg sync.WaitGroup
	for i := range 20 {
		for name, cs := range map[string]*mcp.ClientSession{"ada": a, "bob": c} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				want := fmt.Sprintf("%s-%d", name, i)
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": want}})
				if err != nil {
					t.Errorf("%s: %v", want, err)
					return
				}
				if got := res.Content[0].(*mcp.TextContent).Text; got != want {
					t.Errorf("%s got the answer %q", want, got)
				}
			}()
		}
	}
	wg.Add(2)
	go func() { defer wg.Done(); callProgress(t, a, "same-token") }()
	go func() { defer wg.Done(); callProgress(t, c, "same-token") }()
	wg.Wait()
	waitFor(t, func() bool { return adaProgress.of("same-token") != "[]" && bobProgress.of("same-token") != "[]" })
	for name, p := range map[string]*progressRecorder{"ada": &adaProgress, "bob": &bobProgress} {
		if got := p.of("same-token"); got != "[1 2 3]" {
			t.Errorf("%s's progress: got %s, want [1 2 3], only hers", name, got)
		}
	}

	a.Close() // DELETE: the process serves bob on
	if got := callText(t, c, "echo", map[string]any{"text": "still"}); got != "still" {
		t.Errorf("after ada left: got %q", got)
	}
	if n := b.Sessions(); n != 1 {
		t.Errorf("got %d sessions, want 1", n)
	}
}

// TestSharedProcessLifecycle: the shared process stops when idle with
// nobody attached and when mcpgate stops; a crash ends every session on
// it with an error, and the next session gets a fresh process.
func TestSharedProcessLifecycle(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		b := newBackend(t, func(o *Options) { o.Shared, o.IdentityEnv, o.IdleTimeout = true, false, 300*time.Millisecond })
		cs := connectVersion(t, serve(t, b, ada), "2025-11-25", nil)
		pid := pidOf(t, cs)
		waitGone(t, pid)
	})
	t.Run("close", func(t *testing.T) {
		b := newBackend(t, func(o *Options) { o.Shared, o.IdentityEnv = true, false })
		cs := connectVersion(t, serve(t, b, ada), "2025-11-25", nil)
		pid := pidOf(t, cs)
		b.Close()
		waitGone(t, pid)
	})
	t.Run("crash", func(t *testing.T) {
		b := newBackend(t, func(o *Options) { o.Shared, o.IdentityEnv = true, false })
		a := connectVersion(t, serve(t, b, ada), "2025-11-25", nil)
		c := connectVersion(t, serve(t, b, bob), "2025-11-25", nil)
		pid := pidOf(t, a)
		_, err := a.CallTool(context.Background(), &mcp.CallToolParams{Name: "crash"})
		if err == nil || !strings.Contains(err.Error(), "process ended") {
			t.Errorf("crash: got %v, want the JSON-RPC error saying the process ended", err)
		}
		waitGone(t, pid)
		waitFor(t, func() bool { return b.Sessions() == 0 })
		if _, err := c.ListTools(context.Background(), nil); err == nil {
			t.Error("bob's session outlived the process it used")
		}
		next := connectVersion(t, serve(t, b, bob), "2025-11-25", nil)
		if got := pidOf(t, next); got == pid {
			t.Errorf("the next session got the crashed process %d", got)
		}
	})
	t.Run("max sessions", func(t *testing.T) {
		b := newBackend(t, func(o *Options) { o.Shared, o.IdentityEnv, o.MaxProcesses = true, false, 1 })
		url := serve(t, b, ada)
		connectVersion(t, url, "2025-11-25", nil)
		_, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil).
			Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
		if err == nil || !strings.Contains(err.Error(), "Service Unavailable") {
			t.Errorf("second session: got %v, want 503", err)
		}
	})
}

// TestStatelessClient: a 2026-07-28 client without a session is served
// by its user's process on a per-session backend, progress streamed on
// its request; no session is made for it.
func TestStatelessClient(t *testing.T) {
	b := newBackend(t, func(o *Options) { o.IdentityEnv = false })
	url := serve(t, b, ada)
	var progress progressRecorder
	cs := connectVersion(t, url, "2026-07-28", progress.options())
	if cs.ID() != "" {
		t.Errorf("session id %q: want a stateless client", cs.ID())
	}
	if got := callText(t, cs, "echo", map[string]any{"text": "stateless"}); got != "stateless" {
		t.Errorf("echo: got %q", got)
	}
	callProgress(t, cs, "p")
	if got := progress.of("p"); got != "[1 2 3]" {
		t.Errorf("progress: got %s, want [1 2 3] before the answer", got)
	}
	first := pidOf(t, cs)
	if again := pidOf(t, cs); again != first {
		t.Errorf("pids %d then %d: want the user's one process", first, again)
	}
	if n := b.Sessions(); n != 0 {
		t.Errorf("got %d sessions, want none", n)
	}
	// A session alongside gets a process of its own.
	legacy := connectVersion(t, url, "2025-11-25", nil)
	if pid := pidOf(t, legacy); pid == first {
		t.Error("a session got the shared process of a per-session backend")
	}
	b.Close()
	waitGone(t, first)
}

// TestStatelessPerUser: on a backend with a process per session, each
// user's stateless requests get a process of that user's own, which sees
// that user's identity; another user never shares it.
func TestStatelessPerUser(t *testing.T) {
	b := newBackend(t, nil) // identity_env
	adaClient := connectVersion(t, serve(t, b, ada), "2026-07-28", nil)
	bobClient := connectVersion(t, serve(t, b, bob), "2026-07-28", nil)
	if adaClient.ID() != "" || bobClient.ID() != "" {
		t.Fatal("want stateless clients")
	}
	adaEnv, bobEnv := callText(t, adaClient, "env", nil), callText(t, bobClient, "env", nil)
	if !strings.Contains(adaEnv, "MCP_USER_SUB=https://idp#ada") || !strings.Contains(bobEnv, "MCP_USER_SUB=https://idp#bob") {
		t.Errorf("each user's process should see that user:\n%s\n---\n%s", adaEnv, bobEnv)
	}
	first, again := pidOf(t, adaClient), pidOf(t, adaClient)
	if first != again {
		t.Error("one user's stateless requests ran in different processes")
	}
	if first == pidOf(t, bobClient) {
		t.Error("two users' stateless requests ran in one process")
	}
}

// TestStatelessCountsAgainstMaxProcesses: a user's stateless process is a
// process like a session's.
func TestStatelessCountsAgainstMaxProcesses(t *testing.T) {
	b := newBackend(t, func(o *Options) { o.MaxProcesses = 1 })
	connectVersion(t, serve(t, b, ada), "2025-11-25", nil)
	req, _ := http.NewRequest(http.MethodPost, serve(t, b, bob), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("bob's stateless request past max_processes: got %d, want 503", resp.StatusCode)
	}
}

// TestStatelessStartsDoNotWaitForEachOther: one user's process that is
// slow to start holds up only that user.
func TestStatelessStartsDoNotWaitForEachOther(t *testing.T) {
	b := newBackend(t, func(o *Options) { o.Env["STDIO_TEST_SLOW_START_FOR"] = ada.Subject })
	slow := make(chan struct{})
	go func() {
		defer close(slow)
		cs := connectVersion(t, serve(t, b, ada), "2026-07-28", nil)
		callText(t, cs, "echo", map[string]any{"text": "late"})
	}()
	time.Sleep(200 * time.Millisecond) // ada's start is under way
	start := time.Now()
	cs := connectVersion(t, serve(t, b, bob), "2026-07-28", nil)
	if got := callText(t, cs, "echo", map[string]any{"text": "bob"}); got != "bob" {
		t.Errorf("bob: got %q", got)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("bob's first stateless call took %v behind ada's slow start, want it served at once", took)
	}
	<-slow
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
