package stdio

import (
	"errors"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcpgate/mcpgate/proxy/forward"
)

// statelessVersion is the first protocol revision without sessions.
const statelessVersion = "2026-07-28"

// isStateless reports whether r comes from a client of the stateless
// revision: it names the protocol version on every request.
func isStateless(r *http.Request) bool {
	return r.Header.Get("Mcp-Protocol-Version") >= statelessVersion
}

// waiter is one stateless request waiting for its answer, with the
// notifications (progress) sent for it on the way.
type waiter struct {
	answer chan jsonrpc.Message // the response: at most one
	notes  chan jsonrpc.Message
}

func newWaiter() *waiter {
	return &waiter{answer: make(chan jsonrpc.Message, 1), notes: make(chan jsonrpc.Message, 64)}
}

func (wt *waiter) deliver(msg jsonrpc.Message) {
	ch := wt.notes
	if _, ok := msg.(*jsonrpc.Response); ok {
		ch = wt.answer
	}
	select {
	case ch <- msg:
	default: // a client too slow for its progress loses some of it
	}
}

func (wt *waiter) processEnded() {}

// serveStateless sends one stateless request to the shared process and
// answers it: as an event stream that carries its progress as it
// happens, or as JSON for a client that accepts nothing else.
func (b *Backend) serveStateless(w http.ResponseWriter, r *http.Request, body []byte, id *forward.Identity) {
	msg, err := jsonrpc.DecodeMessage(body)
	if err != nil {
		forward.WriteJSONRPCError(w, http.StatusBadRequest, jsonrpc.CodeParseError, "the body is not one JSON-RPC message")
		return
	}
	key := ""
	if !b.opts.Shared {
		key = owner(id)
	}
	run, err := b.shared(key, id)
	if errors.Is(err, errTooMany) {
		forward.WriteJSONRPCError(w, http.StatusServiceUnavailable, -32603, "too many processes of this MCP server are running; try again later")
		return
	}
	if err != nil {
		b.opts.Logger.Error("stdio: start shared process", "backend", b.opts.Name, "err", err)
		forward.WriteJSONRPCError(w, http.StatusBadGateway, -32603, "the MCP server could not be started")
		return
	}
	req, ok := msg.(*jsonrpc.Request)
	if !ok || !req.IsCall() {
		if err := run.send(nil, msg); err != nil && !errors.Is(err, errNoAnswer) {
			forward.WriteJSONRPCError(w, http.StatusBadGateway, -32603, "the MCP server process ended")
			return
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	wt := newWaiter()
	if err := run.send(wt, req); err != nil {
		forward.WriteJSONRPCError(w, http.StatusBadGateway, -32603, "the MCP server process ended")
		return
	}
	stream := strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	if stream {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		flush(w)
	}
	for {
		select {
		case <-r.Context().Done():
			run.cancelCall(wt, req.ID)
			return
		case note := <-wt.notes:
			if stream {
				writeEvent(w, note)
			}
		case answer := <-wt.answer:
			if stream {
				// Progress sent before the answer goes out before it.
				for drained := false; !drained; {
					select {
					case note := <-wt.notes:
						writeEvent(w, note)
					default:
						drained = true
					}
				}
				writeEvent(w, answer)
				return
			}
			data, err := jsonrpc.EncodeMessage(answer)
			if err != nil {
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(data)
			return
		}
	}
}

func writeEvent(w http.ResponseWriter, msg jsonrpc.Message) {
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return
	}
	_, _ = w.Write([]byte("event: message\ndata: "))
	_, _ = w.Write(data)
	_, _ = w.Write([]byte("\n\n"))
	flush(w)
}

func flush(w http.ResponseWriter) {
	_ = http.NewResponseController(w).Flush()
}
