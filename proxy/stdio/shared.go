package stdio

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/proxy/forward"
)

// A shared process serves many clients at once: every session of a
// backend with sessions: shared, and every stateless (2026-07-28) request.
// mcpgate is the process's one MCP client: it initializes the process
// itself, with no client capabilities, and gives each client request an
// id (and progress token) of its own on the way in and the client's back
// on the way out, so that two clients' ids never collide and an answer
// only ever reaches the client that asked.

// peer is one client of a shared process: a session, or one stateless
// request waiting for its answer.
type peer interface {
	deliver(msg jsonrpc.Message)
	// processEnded tells the peer that the process it used is gone.
	processEnded()
}

// call is a client request the shared process has not answered yet.
type call struct {
	peer  peer
	id    jsonrpc.ID      // the client's
	token json.RawMessage // the client's progress token, if it sent one
	// subscribe is the URI of a resources/subscribe, recorded as the
	// peer's once the process accepts it.
	subscribe string
}

// initTimeout bounds mcpgate's own initialize of a shared process.
const initTimeout = 30 * time.Second

// initializeParams are what mcpgate tells a shared process about itself:
// no client capabilities, since no one client could honour the server's
// requests (sampling, elicitation, roots) on behalf of everyone.
var initializeParams = json.RawMessage(`{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcpgate","version":"1"}}`)

// run is one running shared process.
type run struct {
	b      *Backend
	key    string // see Backend.shared
	conn   mcp.Connection
	cancel context.CancelFunc
	// initResult is the process's answer to initialize, given to every
	// session's initialize in turn.
	initResult json.RawMessage

	next     atomic.Int64
	lastUsed atomic.Int64

	mu     sync.Mutex
	ended  bool
	calls  map[jsonrpc.ID]*call // by the process-side id
	tokens map[string]*call     // by the process-side progress token
	peers  map[peer]bool        // attached sessions, told of list changes
	subs   map[string]map[peer]bool
}

// shared returns the running shared process under key, starting one if
// none runs: key "" is the one process of a backend with Shared; on a
// backend with a process per session, each user's stateless requests get
// a process of that user's own (key = owner), so that no process ever
// serves two users unless the operator chose Shared. Concurrent callers
// for one key share its start; other keys' starts do not wait for it (a
// slow `npx` start of one user's must not hold up everyone's).
func (b *Backend) shared(key string, id *forward.Identity) (*run, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errors.New("stdio: backend closed")
	}
	if r := b.runs[key]; r != nil {
		b.mu.Unlock()
		return r, nil
	}
	if st := b.starting[key]; st != nil {
		b.mu.Unlock()
		<-st.done
		return st.run, st.err
	}
	if key != "" && b.processes() >= b.opts.MaxProcesses {
		b.mu.Unlock()
		return nil, errTooMany
	}
	st := &start{done: make(chan struct{})}
	b.starting[key] = st
	b.starts.Add(1)
	b.mu.Unlock()
	defer b.starts.Done()

	st.run, st.err = startShared(b, key, id)
	b.mu.Lock()
	delete(b.starting, key)
	closed := b.closed
	if st.err == nil && !closed {
		b.runs[key] = st.run
	}
	b.mu.Unlock()
	switch {
	case st.err != nil:
	case closed:
		st.run.stop("mcpgate stopping")
		st.run, st.err = nil, errors.New("stdio: backend closed")
	default:
		b.opts.Logger.Info("stdio: shared process started", "backend", b.opts.Name, "per_user", key != "")
		go st.run.read()
	}
	close(st.done)
	return st.run, st.err
}

// start is a shared process being started, for callers of the same key.
type start struct {
	done chan struct{}
	run  *run
	err  error
}

// processes counts the processes running for sessions and for users'
// stateless requests; b.mu is held.
func (b *Backend) processes() int {
	n := len(b.sessions)
	if b.opts.Shared {
		n = 0 // sessions have no process of their own
	}
	for key := range b.runs {
		if key != "" {
			n++
		}
	}
	for key := range b.starting {
		if key != "" {
			n++ // reserved while it starts, so the bound holds
		}
	}
	return n
}

func startShared(b *Backend, key string, id *forward.Identity) (*run, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.Command(b.opts.Command[0], b.opts.Command[1:]...)
	if key == "" {
		id = nil // a process for every user is given no one user's identity
	}
	cmd.Env = childEnv(b.opts, id)
	cmd.Stderr = &logWriter{log: b.opts.Logger, backend: b.opts.Name}
	conn, err := (&mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}).Connect(ctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("stdio: start %s: %w", b.opts.Command[0], err)
	}
	r := &run{b: b, key: key, conn: conn, cancel: cancel, calls: map[jsonrpc.ID]*call{}, tokens: map[string]*call{},
		peers: map[peer]bool{}, subs: map[string]map[peer]bool{}}
	if err := r.initialize(ctx); err != nil {
		conn.Close()
		cancel()
		return nil, err
	}
	r.touch()
	return r, nil
}

// initialize performs the handshake: mcpgate's initialize, the process's
// answer, notifications/initialized.
func (r *run) initialize(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, initTimeout)
	defer cancel()
	id, _ := jsonrpc.MakeID("mcpgate-initialize")
	if err := r.conn.Write(ctx, &jsonrpc.Request{ID: id, Method: "initialize", Params: initializeParams}); err != nil {
		return fmt.Errorf("stdio: initialize shared process: %w", err)
	}
	for {
		msg, err := r.conn.Read(ctx)
		if err != nil {
			return fmt.Errorf("stdio: initialize shared process: %w", err)
		}
		resp, ok := msg.(*jsonrpc.Response)
		if !ok || resp.ID != id {
			continue // nothing else is meaningful before the answer
		}
		if resp.Error != nil {
			return fmt.Errorf("stdio: initialize shared process: %w", resp.Error)
		}
		r.initResult = resp.Result
		break
	}
	if err := r.conn.Write(ctx, &jsonrpc.Request{Method: "notifications/initialized", Params: json.RawMessage(`{}`)}); err != nil {
		return fmt.Errorf("stdio: initialize shared process: %w", err)
	}
	return nil
}

func (r *run) touch() { r.lastUsed.Store(time.Now().UnixNano()) }

// idle reports whether the process has had nobody attached and nothing
// to do for d.
func (r *run) idle(now time.Time, d time.Duration) bool {
	r.mu.Lock()
	busy := len(r.peers) > 0 || len(r.calls) > 0
	r.mu.Unlock()
	return !busy && now.Sub(time.Unix(0, r.lastUsed.Load())) > d
}

// stop ends the process; every open call gets an error and every
// attached session ends, so that its client starts anew on a fresh
// process.
func (r *run) stop(why string) {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return
	}
	r.ended = true
	calls, peers := r.calls, r.peers
	r.calls, r.tokens, r.peers, r.subs = map[jsonrpc.ID]*call{}, map[string]*call{}, map[peer]bool{}, map[string]map[peer]bool{}
	r.mu.Unlock()
	r.b.mu.Lock()
	if r.b.runs[r.key] == r {
		delete(r.b.runs, r.key)
	}
	r.b.mu.Unlock()
	r.b.opts.Logger.Info("stdio: shared process stopped", "backend", r.b.opts.Name, "why", why)
	for _, c := range calls {
		c.peer.deliver(&jsonrpc.Response{ID: c.id, Error: &jsonrpc.Error{Code: -32603, Message: "the MCP server process ended"}})
	}
	for p := range peers {
		p.processEnded()
	}
	r.conn.Close() // closes stdin, then SIGTERM, then SIGKILL
	r.cancel()
}

// live reports whether the process has not been stopped.
func (r *run) live() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.ended
}

// attach makes p a session of the process (told of list changes).
func (r *run) attach(p peer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return errors.New("stdio: shared process ended")
	}
	r.peers[p] = true
	return nil
}

// detach forgets p: its open calls are dropped, and a resource nobody
// else subscribed to is unsubscribed from.
func (r *run) detach(p peer) {
	r.mu.Lock()
	delete(r.peers, p)
	for id, c := range r.calls {
		if c.peer == p {
			r.forget(id, c)
		}
	}
	var unsubscribe []string
	for uri, subs := range r.subs {
		if subs[p] {
			delete(subs, p)
			if len(subs) == 0 {
				delete(r.subs, uri)
				unsubscribe = append(unsubscribe, uri)
			}
		}
	}
	r.mu.Unlock()
	for _, uri := range unsubscribe {
		params, _ := json.Marshal(map[string]string{"uri": uri})
		// Not waited for: detach runs as a session closes, under its lock.
		go func() { _ = r.write(&jsonrpc.Request{ID: r.newID(), Method: "resources/unsubscribe", Params: params}) }()
	}
}

// forget drops a call; r.mu is held.
func (r *run) forget(id jsonrpc.ID, c *call) {
	delete(r.calls, id)
	for t, tc := range r.tokens {
		if tc == c {
			delete(r.tokens, t)
		}
	}
}

func (r *run) newID() jsonrpc.ID {
	id, _ := jsonrpc.MakeID(float64(r.next.Add(1)))
	return id
}

func (r *run) write(msg jsonrpc.Message) error {
	return r.conn.Write(context.Background(), msg)
}

// errNoAnswer is send's answer to a message that gets none.
var errNoAnswer = errors.New("stdio: dropped")

// send passes a client's message to the process. A request's answer (or
// an error, if the process ends first) reaches p.deliver; some requests
// are answered here at once.
func (r *run) send(p peer, msg jsonrpc.Message) error {
	r.touch()
	req, ok := msg.(*jsonrpc.Request)
	if !ok {
		return errNoAnswer // an answer to a request the process never sent through mcpgate
	}
	if !req.IsCall() {
		return r.notify(p, req)
	}
	switch req.Method {
	case "initialize":
		p.deliver(&jsonrpc.Response{ID: req.ID, Result: r.initializeFor(req.Params)})
		return nil
	case "ping":
		p.deliver(&jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{}`)})
		return nil
	case "resources/subscribe", "resources/unsubscribe":
		if done := r.subscription(p, req); done {
			return nil
		}
	}
	return r.forward(p, req)
}

// sessionVersions are the revisions with initialize, oldest first.
var sessionVersions = []string{"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}

// initializeFor is the process's answer to initialize, for a session
// that asked for the revision in params: that revision when the process
// speaks a revision at least as new (the old ones are subsets), else the
// process's own, as a server answers a version it does not know.
func (r *run) initializeFor(params json.RawMessage) json.RawMessage {
	var asked, got struct {
		Version string `json:"protocolVersion"`
	}
	_ = json.Unmarshal(params, &asked)
	_ = json.Unmarshal(r.initResult, &got)
	if asked.Version == got.Version || !slices.Contains(sessionVersions, asked.Version) || asked.Version > got.Version {
		return r.initResult
	}
	v, _ := json.Marshal(asked.Version)
	out, err := setField(r.initResult, "protocolVersion", v)
	if err != nil {
		return r.initResult
	}
	return out
}

// forward sends a call with an id of mcpgate's.
func (r *run) forward(p peer, req *jsonrpc.Request) error {
	c := &call{peer: p, id: req.ID}
	out := &jsonrpc.Request{ID: r.newID(), Method: req.Method, Params: req.Params}
	// Random, and registered as generated (never read back from the
	// params): a client must not be able to name another's token.
	ours := "mcpgate-" + rand.Text()
	token, params, err := swapProgressToken(req.Params, ours)
	if err != nil {
		p.deliver(&jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "invalid params"}})
		return nil
	}
	if token != nil {
		c.token, out.Params = token, params
	}
	if req.Method == "resources/subscribe" {
		c.subscribe = uriOf(req.Params)
	}
	r.mu.Lock()
	_, waiter := p.(*waiter)
	if r.ended || (!waiter && !r.peers[p]) {
		// Ended, or a session that left while its message was on the way:
		// a call nobody waits for would keep the process from idling.
		r.mu.Unlock()
		return errors.New("stdio: shared process ended")
	}
	r.calls[out.ID] = c
	if token != nil {
		r.tokens[ours] = c
	}
	r.mu.Unlock()
	if err := r.write(out); err != nil {
		r.mu.Lock()
		r.forget(out.ID, c)
		r.mu.Unlock()
		return fmt.Errorf("stdio: write to shared process: %w", err)
	}
	return nil
}

// cancel tells the process that p no longer waits for its call id (a
// stateless client went away).
func (r *run) cancelCall(p peer, id jsonrpc.ID) {
	params, _ := json.Marshal(map[string]any{"requestId": id.Raw(), "reason": "the client went away"})
	_ = r.notify(p, &jsonrpc.Request{Method: "notifications/cancelled", Params: params})
}

// notify passes a client's notification on: a cancellation with the
// process-side id of the call; notifications/initialized not at all,
// since mcpgate initialized the process itself.
func (r *run) notify(p peer, req *jsonrpc.Request) error {
	switch req.Method {
	case "notifications/initialized":
		return nil
	case "notifications/cancelled":
		var params map[string]json.RawMessage
		if json.Unmarshal(req.Params, &params) != nil {
			return nil
		}
		var clientID any
		if json.Unmarshal(params["requestId"], &clientID) != nil {
			return nil
		}
		want, err := jsonrpc.MakeID(clientID)
		if err != nil {
			return nil
		}
		r.mu.Lock()
		var procID jsonrpc.ID
		for id, c := range r.calls {
			if c.peer == p && c.id == want {
				procID = id
				r.forget(id, c)
			}
		}
		r.mu.Unlock()
		if !procID.IsValid() {
			return nil // not a call of this client's
		}
		params["requestId"], _ = json.Marshal(procID.Raw())
		out, _ := json.Marshal(params)
		return r.write(&jsonrpc.Request{Method: req.Method, Params: out})
	}
	return r.write(req)
}

// read relays the process's messages to the clients they are for.
func (r *run) read() {
	ctx := context.Background()
	for {
		msg, err := r.conn.Read(ctx)
		if err != nil {
			r.stop("the process exited")
			return
		}
		switch m := msg.(type) {
		case *jsonrpc.Response:
			r.answer(m)
		case *jsonrpc.Request:
			if m.IsCall() {
				r.serverRequest(m)
			} else {
				r.serverNotification(m)
			}
		}
	}
}

func (r *run) answer(resp *jsonrpc.Response) {
	r.mu.Lock()
	c := r.calls[resp.ID]
	if c != nil {
		r.forget(resp.ID, c)
		if c.subscribe != "" && resp.Error == nil && r.peers[c.peer] {
			r.subscribed(c.subscribe, c.peer)
		}
	}
	r.mu.Unlock()
	if c == nil {
		return // mcpgate's own (an unsubscribe), or a call whose client left
	}
	r.touch()
	c.peer.deliver(&jsonrpc.Response{ID: c.id, Result: resp.Result, Error: resp.Error})
}

// serverRequest answers the process's own requests: a ping, and an error
// for what no client was offered (sampling, elicitation, roots).
func (r *run) serverRequest(req *jsonrpc.Request) {
	resp := &jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound,
		Message: "mcpgate shares this process between clients and offers no client capabilities"}}
	if req.Method == "ping" {
		resp = &jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{}`)}
	}
	// Not from the read loop itself: a process that stopped reading its
	// stdin while writing its stdout would otherwise stall both.
	go func() { _ = r.write(resp) }()
}

// serverNotification sends progress to the client whose call it is,
// list changes to every session, a resource update to its subscribers;
// anything else has no client it could be for, and is dropped.
func (r *run) serverNotification(n *jsonrpc.Request) {
	var to []peer
	out := n
	r.mu.Lock()
	switch n.Method {
	case "notifications/progress":
		if c := r.tokens[progressTokenOf(n.Params)]; c != nil {
			if params, err := setField(n.Params, "progressToken", c.token); err == nil {
				to, out = []peer{c.peer}, &jsonrpc.Request{Method: n.Method, Params: params}
			}
		}
	case "notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/resources/list_changed":
		for p := range r.peers {
			to = append(to, p)
		}
	case "notifications/resources/updated":
		for p := range r.subs[uriOf(n.Params)] {
			to = append(to, p)
		}
	}
	r.mu.Unlock()
	for _, p := range to {
		p.deliver(out)
	}
}

// Processes counts the backend's processes running now, the shared one
// included: the stdio processes gauge.
func (b *Backend) Processes() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.processes()
	if _, ok := b.runs[""]; ok {
		n++
	}
	return n
}
