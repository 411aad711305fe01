// Package stdio serves an MCP server that speaks over stdin and stdout (a
// local program: most of the ecosystem's servers start with npx or uvx)
// to clients as streamable HTTP. Each client session gets a process of
// its own; every JSON-RPC message is relayed both ways unchanged, the
// server's requests and notifications included.
package stdio

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/proxy/forward"
)

// Options configure a Backend.
type Options struct {
	// Name tags the process's stderr in the log.
	Name string
	// Command is the program and its arguments.
	Command []string
	// Env is set in the process's environment, on top of the few
	// variables it inherits (PATH, HOME, LANG, LC_ALL, TZ, TMPDIR).
	Env map[string]string
	// IdentityEnv passes the user's identity to the process as
	// MCP_USER_SUB, MCP_USER_EMAIL, MCP_USER_NAME, MCP_USER_GROUPS
	// (comma-separated) and MCP_CLIENT_ID.
	IdentityEnv bool
	// IdleTimeout ends a session (and its process) that saw no request
	// for this long; 0 means 10 minutes.
	IdleTimeout time.Duration
	// MaxProcesses bounds the sessions at once; 0 means 50. With
	// Shared, it bounds the sessions on the one process.
	MaxProcesses int
	// Shared serves every session from one process instead of a process
	// per session. IdentityEnv does not apply to it.
	Shared bool
	Logger *slog.Logger
}

// inherited are the only variables of mcpgate's own environment a child
// sees: never MCPGATE_* or anything else that may hold a secret.
var inherited = []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}

// Backend runs one process per client session.
type Backend struct {
	opts     Options
	mu       sync.Mutex
	sessions map[string]*session
	closed   bool
	// runs are the shared processes that run (see shared), starting the
	// ones being started; starts counts those, for Close to wait on.
	runs     map[string]*run
	starting map[string]*start
	starts   sync.WaitGroup
	stop     chan struct{}
	done     chan struct{}
}

var hidden sync.Once

// hideOnce hides mcpgate from its children, once, before the first starts.
func hideOnce(log *slog.Logger) {
	hidden.Do(func() {
		if err := hideFromChildren(); err != nil {
			log.Warn("stdio: children running as mcpgate's user may read its environment", "err", err)
		}
		if os.Geteuid() == 0 {
			log.Warn("stdio: mcpgate runs as root, and so do its stdio backends' processes, which root lets read mcpgate's memory; run mcpgate as an unprivileged user (the image does)")
		}
	})
}

// New returns a Backend; Close stops its processes.
func New(opts Options) (*Backend, error) {
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, errors.New("stdio: a command is required")
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	if opts.MaxProcesses <= 0 {
		opts.MaxProcesses = 50
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	hideOnce(opts.Logger)
	b := &Backend{opts: opts, sessions: map[string]*session{}, runs: map[string]*run{}, starting: map[string]*start{}, stop: make(chan struct{}), done: make(chan struct{})}
	go b.reapIdle()
	return b, nil
}

// Forward serves one request of a client session, or of a stateless
// client.
func (b *Backend) Forward(w http.ResponseWriter, r *http.Request, id *forward.Identity) {
	sid := r.Header.Get("Mcp-Session-Id")
	if sid == "" {
		b.sessionless(w, r, id)
		return
	}
	s := b.session(sid, owner(id))
	if s == nil {
		// Unknown, ended, or another user's: the spec's answer to an
		// expired session, which makes clients start a new one.
		forward.WriteJSONRPCError(w, http.StatusNotFound, -32001, "session not found")
		return
	}
	s.touch()
	if r.Method == http.MethodDelete {
		b.end(s, "ended by the client")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.transport.ServeHTTP(w, r)
}

// sessionless serves a request without a session id: an initialize
// starts a session; a stateless (2026-07-28) client's request goes to a
// shared process (see shared).
func (b *Backend) sessionless(w http.ResponseWriter, r *http.Request, id *forward.Identity) {
	if r.Method != http.MethodPost {
		forward.WriteJSONRPCError(w, http.StatusBadRequest, -32600, "Mcp-Session-Id is required: start with initialize")
		return
	}
	body, err := readBody(r)
	if err != nil {
		forward.WriteJSONRPCError(w, http.StatusBadRequest, -32700, "the request body could not be read")
		return
	}
	switch {
	case methodOf(body) == "initialize":
		b.start(w, r, id)
	case isStateless(r):
		b.serveStateless(w, r, body, id)
	default:
		forward.WriteJSONRPCError(w, http.StatusBadRequest, -32600, "Mcp-Session-Id is required: start with initialize")
	}
}

// start begins a session with the initialize request in r.
func (b *Backend) start(w http.ResponseWriter, r *http.Request, id *forward.Identity) {
	s, err := b.newSession(id)
	switch {
	case errors.Is(err, errTooMany):
		forward.WriteJSONRPCError(w, http.StatusServiceUnavailable, -32603, "too many sessions of this MCP server are open; try again later")
		return
	case errors.Is(err, errTooManyOwn):
		forward.WriteJSONRPCError(w, http.StatusTooManyRequests, -32603, "you have too many sessions of this MCP server open; close one first")
		return
	case err != nil:
		b.opts.Logger.Error("stdio: start process", "backend", b.opts.Name, "err", err)
		forward.WriteJSONRPCError(w, http.StatusBadGateway, -32603, "the MCP server could not be started")
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	s.transport.ServeHTTP(sw, r)
	if sw.status/100 != 2 || sw.Header().Get("Mcp-Session-Id") == "" {
		// An initialize that did not start a session the client knows
		// of: nobody could ever end it.
		b.end(s, "initialize failed")
	}
}

// statusWriter remembers the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (sw *statusWriter) WriteHeader(code int) {
	if sw.status == 0 {
		sw.status = code
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	return sw.ResponseWriter.Write(b)
}

func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

func (sw *statusWriter) Flush() {
	if f, ok := sw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

var (
	errTooMany    = errors.New("stdio: too many processes")
	errTooManyOwn = errors.New("stdio: too many processes of one user")
)

// maxPerOwner is the share of max_processes one user and client may hold,
// so that one of them cannot lock everyone else out.
func (b *Backend) maxPerOwner() int { return max(1, b.opts.MaxProcesses/4) }

func (b *Backend) newSession(id *forward.Identity) (*session, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errors.New("stdio: backend closed")
	}
	if b.processes() >= b.opts.MaxProcesses || (b.opts.Shared && len(b.sessions) >= b.opts.MaxProcesses) {
		b.mu.Unlock()
		return nil, errTooMany
	}
	who, own := owner(id), 0
	for _, other := range b.sessions {
		if other.owner == who {
			own++
		}
	}
	if own >= b.maxPerOwner() {
		b.mu.Unlock()
		return nil, errTooManyOwn
	}
	s := &session{id: rand.Text(), owner: who, backend: b, starting: true}
	s.touch()
	b.sessions[s.id] = s // reserved while starting, so the bounds hold
	b.mu.Unlock()
	var err error
	if b.opts.Shared {
		err = s.openShared()
	} else {
		err = s.open(b.opts, id)
	}
	b.mu.Lock()
	_, live := b.sessions[s.id]
	if err != nil || !live {
		delete(b.sessions, s.id)
	} else {
		s.starting = false
	}
	b.mu.Unlock()
	if err != nil {
		s.close()
		return nil, err
	}
	if !live { // ended while starting (mcpgate stopping)
		s.close()
		return nil, errors.New("stdio: backend closed")
	}
	return s, nil
}

func (b *Backend) session(sid, who string) *session {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s := b.sessions[sid]; s != nil && s.owner == who {
		return s
	}
	return nil
}

// end stops a session's process and forgets it.
func (b *Backend) end(s *session, why string) {
	b.mu.Lock()
	_, live := b.sessions[s.id]
	delete(b.sessions, s.id)
	b.mu.Unlock()
	if live {
		b.opts.Logger.Info("stdio: session ended", "backend", b.opts.Name, "why", why)
	}
	s.close()
}

// Sessions is the number of live sessions (processes).
func (b *Backend) Sessions() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.sessions)
}

// Close ends every session; no process outlives it.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	all := make([]*session, 0, len(b.sessions))
	for _, s := range b.sessions {
		all = append(all, s)
	}
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	for _, s := range all {
		b.end(s, "mcpgate stopping")
	}
	b.starts.Wait() // a start under way finishes first, sees closed and stops
	b.mu.Lock()
	runs := slices.Collect(maps.Values(b.runs))
	b.mu.Unlock()
	for _, r := range runs {
		r.stop("mcpgate stopping")
	}
	return nil
}

func (b *Backend) reapIdle() {
	defer close(b.done)
	tick := time.NewTicker(min(b.opts.IdleTimeout/4, 10*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case now := <-tick.C:
			var idle []*session
			b.mu.Lock()
			for _, s := range b.sessions {
				if !s.starting && now.Sub(time.Unix(0, s.lastUsed.Load())) > b.opts.IdleTimeout {
					idle = append(idle, s)
				}
			}
			runs := slices.Collect(maps.Values(b.runs))
			b.mu.Unlock()
			for _, s := range idle {
				b.end(s, "idle")
			}
			for _, r := range runs {
				if r.idle(now, b.opts.IdleTimeout) {
					r.stop("idle")
				}
			}
		}
	}
}

// owner is who a session belongs to: the same user through the same
// client; anyone else presenting its id is refused.
func owner(id *forward.Identity) string {
	if id == nil || id.Principal == nil {
		return ""
	}
	return id.Subject + "\x00" + id.ClientID
}

// readBody reads the (already buffered and bounded) body and puts it
// back for the transport.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}

// methodOf is the method of a single JSON-RPC message, or "".
func methodOf(body []byte) string {
	var m struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	return m.Method
}

// childEnv is the process's whole environment.
func childEnv(opts Options, id *forward.Identity) []string {
	var env []string
	for _, k := range inherited {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range opts.Env {
		env = append(env, k+"="+v)
	}
	if opts.IdentityEnv && id != nil && id.Principal != nil {
		env = append(env,
			"MCP_USER_SUB="+id.Subject, "MCP_USER_EMAIL="+id.Email, "MCP_USER_NAME="+id.Name,
			"MCP_USER_GROUPS="+strings.Join(id.Groups, ","), "MCP_CLIENT_ID="+id.ClientID)
	}
	return env
}

// session is one client session and its process.
type session struct {
	id      string
	owner   string
	backend *Backend
	// starting is set while the process starts; guarded by backend.mu.
	starting bool
	// run is the shared process the session uses, with Options.Shared.
	run *run
	// mu guards transport, client, proc and cancel against close.
	mu        sync.Mutex
	transport *mcp.StreamableServerTransport
	client    mcp.Connection // toward the HTTP client
	proc      mcp.Connection // toward the process
	lastUsed  atomic.Int64
	// pending are the client's requests the process has not answered,
	// answered with an error if it dies.
	pending   sync.Map // jsonrpc.ID -> struct{}
	closeOnce sync.Once
	cancel    context.CancelFunc
}

func (s *session) touch() { s.lastUsed.Store(time.Now().UnixNano()) }

func (s *session) open(opts Options, id *forward.Identity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	cmd := exec.Command(opts.Command[0], opts.Command[1:]...)
	cmd.Env = childEnv(opts, id)
	cmd.Stderr = &logWriter{log: opts.Logger, backend: opts.Name}
	proc, err := (&mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}).Connect(ctx)
	if err != nil {
		cancel()
		return fmt.Errorf("stdio: start %s: %w", opts.Command[0], err)
	}
	s.transport = &mcp.StreamableServerTransport{SessionID: s.id}
	client, err := s.transport.Connect(ctx)
	if err != nil {
		proc.Close()
		cancel()
		return fmt.Errorf("stdio: session transport: %w", err)
	}
	s.proc, s.client = proc, client
	s.touch()
	go s.toProcess(ctx)
	go s.toClient(ctx)
	return nil
}

// toProcess relays the client's messages to the process.
func (s *session) toProcess(ctx context.Context) {
	for {
		msg, err := s.client.Read(ctx)
		if err != nil {
			s.backend.end(s, "client connection closed")
			return
		}
		if req, ok := msg.(*jsonrpc.Request); ok && req.IsCall() {
			s.pending.Store(req.ID, struct{}{})
		}
		if err := s.proc.Write(ctx, msg); err != nil {
			s.failPending(ctx)
			s.backend.end(s, "the process stopped reading")
			return
		}
	}
}

// toClient relays the process's messages to the client; when the process
// ends, the client's open requests get an error.
func (s *session) toClient(ctx context.Context) {
	for {
		msg, err := s.proc.Read(ctx)
		if err != nil {
			s.failPending(ctx)
			s.backend.end(s, "the process exited")
			return
		}
		if resp, ok := msg.(*jsonrpc.Response); ok {
			s.pending.Delete(resp.ID)
		}
		if err := s.client.Write(ctx, msg); err != nil && ctx.Err() == nil {
			s.backend.opts.Logger.Debug("stdio: write to client", "backend", s.backend.opts.Name, "err", err)
		}
	}
}

func (s *session) failPending(ctx context.Context) {
	s.pending.Range(func(k, _ any) bool {
		id := k.(jsonrpc.ID)
		_ = s.client.Write(ctx, &jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: -32603, Message: "the MCP server process ended"}})
		s.pending.Delete(k)
		return true
	})
}

func (s *session) close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.proc != nil {
			s.proc.Close() // closes stdin, then SIGTERM, then SIGKILL
		}
		if s.client != nil {
			s.client.Close()
		}
		if s.cancel != nil {
			s.cancel()
		}
		if s.run != nil {
			s.run.detach(s)
		}
	})
}

// logWriter sends a process's stderr to the log, a line at a time,
// tagged with the backend.
type logWriter struct {
	log     *slog.Logger
	backend string
	mu      sync.Mutex
	buf     []byte
}

func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.buf = append(lw.buf, p...)
	for {
		i := bytes.IndexByte(lw.buf, '\n')
		if i < 0 {
			if len(lw.buf) > 8<<10 { // a line without end: pass it on
				i = len(lw.buf)
			} else {
				return len(p), nil
			}
		}
		line := strings.TrimRight(string(lw.buf[:i]), "\r")
		lw.buf = lw.buf[min(i+1, len(lw.buf)):]
		if line != "" {
			lw.log.Info("stdio backend stderr", "backend", lw.backend, "line", line)
		}
	}
}
