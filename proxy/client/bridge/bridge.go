// Package bridge is `mcpgate connect`: a stdio ↔ streamable HTTP bridge
// that a stdio-only MCP host launches as its server. Each line the host
// writes is one JSON-RPC message, POSTed to the MCP server as it is;
// every message the server answers with, in JSON or on an SSE stream,
// and every message of the server's own GET stream, is written back as
// one line. The bridge adds only what HTTP needs: the token, the session
// and protocol version headers, and the 2026-07-28 Mcp-Method and
// Mcp-Name headers.
package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// Authorizer gives the bridge its access tokens.
type Authorizer interface {
	// Token returns an access token, or "" to send the request without
	// one; force asks for a new one (the server refused the last).
	Token(ctx context.Context, force bool) (string, error)
	// Authorize signs in again in answer to the server's 401 or 403
	// insufficient_scope response to req, and closes resp's body.
	Authorize(ctx context.Context, req *http.Request, resp *http.Response) error
}

// Prover is an Authorizer whose tokens may be bound to a key (DPoP, RFC
// 9449): each request then carries a proof by it.
type Prover interface {
	// Proof is the DPoP proof for a request with token, "" for a bearer
	// token.
	Proof(method, target, token string) (string, error)
	// Nonce keeps the nonce the server asked proofs to carry.
	Nonce(target, nonce string)
}

// Bridge relays one host's stdio to one MCP server.
type Bridge struct {
	URL  string
	HTTP *http.Client // no overall timeout: answers may stream for long
	Auth Authorizer
	In   io.Reader
	Out  io.Writer
	Log  *slog.Logger
	// MaxMessage bounds one message either way; 0 is 16 MiB.
	MaxMessage int
	// MaxStepUps bounds the re-authorizations one request may cause.
	MaxStepUps int

	params paramHeaders

	mu              sync.Mutex
	sessionID       string
	protocolVersion string
	streaming       bool

	outMu sync.Mutex
}

// message is what the bridge reads of a message: enough for headers and
// for answering a request whose exchange fails.
type message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params struct {
		Name      string                     `json:"name"`
		URI       string                     `json:"uri"`
		Meta      map[string]any             `json:"_meta"`
		Arguments map[string]json.RawMessage `json:"arguments"`
	} `json:"params"`
}

func (m *message) isRequest() bool { return m.Method != "" && len(m.ID) > 0 && string(m.ID) != "null" }

// Run relays until the host closes stdin or ctx ends, then ends the
// session at the server.
func (b *Bridge) Run(ctx context.Context) error {
	if b.MaxMessage == 0 {
		b.MaxMessage = 16 << 20
	}
	if b.MaxStepUps == 0 {
		b.MaxStepUps = 2
	}
	if b.Log == nil {
		b.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var inflight sync.WaitGroup
	sc := bufio.NewScanner(b.In)
	sc.Buffer(make([]byte, 0, min(64<<10, b.MaxMessage)), b.MaxMessage)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		msg := bytes.Clone(line)
		var info message
		batch := msg[0] == '['
		if !batch {
			_ = json.Unmarshal(msg, &info) // what cannot be read still goes; the server answers it
		}
		// initialize is sent alone and waited for: every later message
		// needs the session it opens. Notifications are quick; requests
		// may take long, so each has its own exchange.
		if info.Method == "initialize" || !info.isRequest() || batch {
			b.exchange(ctx, msg, &info)
			if info.Method == "notifications/initialized" {
				b.startStream(ctx)
			}
			continue
		}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			b.exchange(ctx, msg, &info)
		}()
	}
	readErr := sc.Err()
	inflight.Wait()
	cancel()
	b.endSession()
	if readErr != nil {
		return fmt.Errorf("bridge: read from the host: %w", readErr)
	}
	return nil
}

// exchange POSTs one message and relays what comes back.
func (b *Bridge) exchange(ctx context.Context, msg []byte, info *message) {
	forced, stepUps, nonced := false, 0, false
	for {
		req, err := b.newRequest(ctx, http.MethodPost, bytes.NewReader(msg), info, forced)
		if err != nil {
			b.fail(info, err.Error())
			return
		}
		resp, err := b.HTTP.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				b.fail(info, "the MCP server could not be reached")
				b.Log.Warn("post to the MCP server failed", "err", err)
			}
			return
		}
		if nonce := resp.Header.Get("DPoP-Nonce"); nonce != "" && !nonced {
			if p, ok := b.Auth.(Prover); ok && resp.StatusCode == http.StatusUnauthorized && dpopError(resp) == "use_dpop_nonce" {
				// The proof lacked the server's nonce: the same request again
				// with it (RFC 9449 §9), the token as it was.
				p.Nonce(b.URL, nonce)
				nonced = true
				drain(resp)
				continue
			}
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized && !forced && req.Header.Get("Authorization") != "":
			// The token may have expired early or been revoked: refresh.
			drain(resp)
			forced = true
			continue
		case resp.StatusCode == http.StatusUnauthorized, insufficientScope(resp):
			if stepUps >= b.MaxStepUps {
				b.relayFailure(info, resp)
				return
			}
			stepUps++
			if err := b.Auth.Authorize(ctx, req, resp); err != nil {
				b.Log.Warn("re-authorization failed", "err", err)
				b.fail(info, "authorization failed")
				return
			}
			forced = false
			continue
		}
		b.relay(ctx, req, resp, info)
		return
	}
}

// relay writes back what the server answered a POST.
func (b *Bridge) relay(ctx context.Context, req *http.Request, resp *http.Response, info *message) {
	defer resp.Body.Close()
	if info.Method == "initialize" && resp.StatusCode == http.StatusOK {
		if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" {
			b.mu.Lock()
			b.sessionID = sid
			b.mu.Unlock()
		}
	}
	if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusNoContent {
		return
	}
	if resp.StatusCode == http.StatusNotFound && req.Header.Get("Mcp-Session-Id") != "" {
		// The session expired at the server; the host must start anew.
		b.relayFailure(info, resp)
		return
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch ct {
	case "text/event-stream":
		b.relayStream(ctx, resp, info)
	case "application/json":
		body, err := io.ReadAll(io.LimitReader(resp.Body, int64(b.MaxMessage)+1))
		if err != nil || len(body) > b.MaxMessage {
			b.fail(info, "the MCP server's answer could not be read")
			return
		}
		if len(bytes.TrimSpace(body)) == 0 {
			if resp.StatusCode >= 300 {
				b.fail(info, fmt.Sprintf("the MCP server answered HTTP %d", resp.StatusCode))
			}
			return
		}
		b.deliver(body, info)
	default:
		if resp.StatusCode >= 300 {
			b.relayFailure(info, resp)
		}
	}
}

// relayStream writes each event of a POST's SSE answer. A stream that
// ends before the answer to the request came, having given event ids, is
// resumed with a GET carrying Last-Event-ID (2025-11-25 §resumability):
// servers close streams to free resources and let clients reconnect.
func (b *Bridge) relayStream(ctx context.Context, resp *http.Response, info *message) {
	var st streamState
	answered := false
	read := func(body io.Reader) error {
		return readEvents(body, b.MaxMessage, &st, func(ev event) error {
			if info.isRequest() && answers(ev.data, info.ID) {
				answered = true
			}
			b.deliver(ev.data, info)
			return nil
		})
	}
	err := read(resp.Body)
	for resumes := 0; info.isRequest() && !answered && st.lastID != "" && resumes < 5 && ctx.Err() == nil; resumes++ {
		// The server said how long to wait before reconnecting; a client
		// MUST respect it.
		if !sleep(ctx, st.retry) {
			break
		}
		req, rerr := b.newRequest(ctx, http.MethodGet, nil, nil, false)
		if rerr != nil {
			break
		}
		req.Header.Set("Last-Event-ID", st.lastID)
		again, rerr := b.HTTP.Do(req)
		if rerr != nil {
			err = rerr
			break
		}
		if again.StatusCode != http.StatusOK {
			drain(again)
			break
		}
		err = read(again.Body)
		again.Body.Close()
	}
	if info.isRequest() && !answered && ctx.Err() == nil {
		b.Log.Warn("the MCP server's answer stream ended before the answer", "err", err)
		b.fail(info, "the MCP server's answer stream ended before the answer")
	}
}

// sleep waits d, or until ctx ends: it reports whether it waited.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// answers reports whether data is the response to the request id.
func answers(data []byte, id json.RawMessage) bool {
	var r struct {
		ID     json.RawMessage `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &r) != nil || (r.Result == nil && r.Error == nil) {
		return false
	}
	return bytes.Equal(bytes.TrimSpace(r.ID), bytes.TrimSpace(id))
}

// deliver writes one message (or batch) to the host, on one line.
func (b *Bridge) deliver(data []byte, info *message) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		b.Log.Warn("the MCP server sent a message that is not JSON; dropped")
		return
	}
	if info != nil && info.Method == "tools/list" {
		var r struct {
			Result json.RawMessage `json:"result"`
		}
		if json.Unmarshal(compact.Bytes(), &r) == nil && len(r.Result) > 0 {
			b.params.learn(r.Result)
		}
	}
	if info != nil && info.Method == "initialize" {
		var r struct {
			Result struct {
				ProtocolVersion string `json:"protocolVersion"`
			} `json:"result"`
		}
		if json.Unmarshal(compact.Bytes(), &r) == nil && r.Result.ProtocolVersion != "" {
			b.mu.Lock()
			b.protocolVersion = r.Result.ProtocolVersion
			b.mu.Unlock()
		}
	}
	compact.WriteByte('\n')
	b.outMu.Lock()
	defer b.outMu.Unlock()
	if _, err := b.Out.Write(compact.Bytes()); err != nil {
		b.Log.Warn("write to the host failed", "err", err)
	}
}

// relayFailure passes on an error answer: the server's own JSON-RPC
// error when it sent one, else one made from the HTTP status.
func (b *Bridge) relayFailure(info *message, resp *http.Response) {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var probe struct {
		JSONRPC string          `json:"jsonrpc"`
		Error   json.RawMessage `json:"error"`
		ID      json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &probe) == nil && probe.JSONRPC == "2.0" && len(probe.Error) > 0 && info.isRequest() {
		// The server's id may be null (an error before it read the body):
		// the host needs its own request's.
		var e json.RawMessage = probe.Error
		b.writeError(info.ID, e)
		return
	}
	b.fail(info, fmt.Sprintf("the MCP server answered HTTP %d", resp.StatusCode))
}

// fail answers a request the exchange of which failed, so that the host
// is not left waiting; a notification or response has nobody to tell.
func (b *Bridge) fail(info *message, reason string) {
	if info == nil || !info.isRequest() {
		return
	}
	e, _ := json.Marshal(map[string]any{"code": -32603, "message": reason})
	b.writeError(info.ID, e)
}

func (b *Bridge) writeError(id json.RawMessage, e json.RawMessage) {
	out, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "error": e})
	b.deliver(out, nil)
}

// newRequest builds a request to the MCP server with the session, the
// protocol version and the token.
func (b *Bridge) newRequest(ctx context.Context, method string, body io.Reader, info *message, forceToken bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.URL, body)
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	h := req.Header
	if method == http.MethodPost {
		h.Set("Content-Type", "application/json")
		h.Set("Accept", "application/json, text/event-stream")
	} else {
		h.Set("Accept", "text/event-stream")
	}
	b.mu.Lock()
	sid, version := b.sessionID, b.protocolVersion
	b.mu.Unlock()
	if info != nil {
		if v, ok := info.Params.Meta["io.modelcontextprotocol/protocolVersion"].(string); ok && v != "" {
			version = v
		}
	}
	if sid != "" {
		h.Set("Mcp-Session-Id", sid)
	}
	if version != "" {
		h.Set("MCP-Protocol-Version", version)
	}
	if info != nil && info.Method != "" && version >= "2026-07-28" {
		h.Set("Mcp-Method", info.Method)
		if name := nameOf(info); name != "" {
			h.Set("Mcp-Name", name)
		}
		if info.Method == "tools/call" {
			for k, v := range b.params.headers(info.Params.Name, info.Params.Arguments) {
				h.Set(k, v)
			}
		}
	}
	tok, err := b.Auth.Token(ctx, forceToken)
	if err != nil {
		return nil, fmt.Errorf("bridge: no access token: %w", err)
	}
	if tok == "" {
		return req, nil
	}
	if p, ok := b.Auth.(Prover); ok {
		proof, err := p.Proof(method, b.URL, tok)
		if err != nil {
			return nil, fmt.Errorf("bridge: DPoP proof: %w", err)
		}
		if proof != "" {
			h.Set("Authorization", "DPoP "+tok)
			h.Set("DPoP", proof)
			return req, nil
		}
	}
	h.Set("Authorization", "Bearer "+tok)
	return req, nil
}

// nameOf is what Mcp-Name carries: the tool or prompt name, or the
// resource URI.
func nameOf(m *message) string {
	switch m.Method {
	case "tools/call", "prompts/get":
		return m.Params.Name
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		return m.Params.URI
	}
	return ""
}

// dpopError is the error of the response's DPoP challenge, if any.
func dpopError(resp *http.Response) string {
	cs, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return ""
	}
	for _, c := range cs {
		if strings.EqualFold(c.Scheme, "dpop") {
			return c.Params["error"]
		}
	}
	return ""
}

func insufficientScope(resp *http.Response) bool {
	if resp.StatusCode != http.StatusForbidden {
		return false
	}
	cs, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return false
	}
	for _, c := range cs {
		if strings.EqualFold(c.Scheme, "bearer") && c.Params["error"] == "insufficient_scope" {
			return true
		}
	}
	return false
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// startStream opens the server's GET stream once, for messages the
// server sends on its own (notifications, its requests to the host).
func (b *Bridge) startStream(ctx context.Context) {
	b.mu.Lock()
	if b.streaming {
		b.mu.Unlock()
		return
	}
	b.streaming = true
	b.mu.Unlock()
	go b.stream(ctx)
}

// stream holds the GET stream, reconnecting with Last-Event-ID when it
// drops, until the server says it has none (405), the session is gone
// (404) or ctx ends.
func (b *Bridge) stream(ctx context.Context) {
	var st streamState
	forced, backoff := false, 500*time.Millisecond
	for ctx.Err() == nil {
		req, err := b.newRequest(ctx, http.MethodGet, nil, nil, forced)
		if err != nil {
			b.Log.Warn("no GET stream", "err", err)
			return
		}
		if st.lastID != "" {
			req.Header.Set("Last-Event-ID", st.lastID)
		}
		resp, err := b.HTTP.Do(req)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			b.Log.Info("GET stream failed; reconnecting", "err", err, "in", backoff)
		case resp.StatusCode == http.StatusMethodNotAllowed, resp.StatusCode == http.StatusNotFound:
			drain(resp)
			return
		case resp.StatusCode == http.StatusUnauthorized && !forced:
			drain(resp)
			forced = true
			continue
		case resp.StatusCode != http.StatusOK:
			drain(resp)
			b.Log.Info("GET stream refused; reconnecting", "status", resp.StatusCode, "in", backoff)
		default:
			forced, backoff = false, 500*time.Millisecond
			err := readEvents(resp.Body, b.MaxMessage, &st, func(ev event) error {
				b.deliver(ev.data, nil)
				return nil
			})
			resp.Body.Close()
			if ctx.Err() != nil {
				return
			}
			b.Log.Info("GET stream ended; reconnecting", "err", err, "last_event_id", st.lastID != "")
		}
		wait := backoff
		if st.retry > 0 {
			wait = st.retry
		}
		if !sleep(ctx, wait) {
			return
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// endSession tells the server the session is over (DELETE), if there is
// one; a server that does not allow it answers 405, which is fine.
func (b *Bridge) endSession() {
	b.mu.Lock()
	sid := b.sessionID
	b.mu.Unlock()
	if sid == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := b.newRequest(ctx, http.MethodDelete, nil, nil, false)
	if err != nil {
		return
	}
	if resp, err := b.HTTP.Do(req); err == nil {
		drain(resp)
	}
}
