package jsonrpc

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
)

// maxJSONAnswer bounds a JSON answer held to be filtered; list results
// are small, and a larger answer to a filtered request is refused rather
// than passed on unfiltered.
const maxJSONAnswer = 32 << 20

// Rewriter passes a backend's answer on to the client, filtering list
// results (Lists: pending list requests by IDKey, Keep: what the client
// may see) and adding answers mcpgate gives itself (Extra: error
// responses for batch members it refused). A JSON answer is held whole,
// an event stream is rewritten event by event as it flows.
type Rewriter struct {
	w     http.ResponseWriter
	Lists map[string]List
	Keep  func(List, string) bool
	Extra [][]byte

	mode   int
	status int
	held   bytes.Buffer // JSON answer, or an event stream's partial event
	over   bool
}

const (
	modeUnset = iota
	modePass
	modeJSON
	modeEvents
	modeReplace // the backend accepted notifications only; answer Extra
)

// NewRewriter wraps w.
func NewRewriter(w http.ResponseWriter, lists map[string]List, keep func(List, string) bool, extra [][]byte) *Rewriter {
	return &Rewriter{w: w, Lists: lists, Keep: keep, Extra: extra}
}

func (r *Rewriter) Header() http.Header { return r.w.Header() }

// Unwrap lets http.ResponseController reach the connection (full duplex,
// deadlines).
func (r *Rewriter) Unwrap() http.ResponseWriter { return r.w }

func (r *Rewriter) WriteHeader(status int) {
	if r.mode != modeUnset {
		return
	}
	r.status = status
	ct, _, _ := mime.ParseMediaType(r.w.Header().Get("Content-Type"))
	switch {
	case status == http.StatusAccepted && len(r.Extra) > 0:
		r.mode = modeReplace
	case status/100 != 2:
		r.mode = modePass
	case ct == "application/json":
		r.mode = modeJSON
		return // written with the rewritten body
	case ct == "text/event-stream":
		r.mode = modeEvents
		r.w.WriteHeader(status)
		for _, e := range r.Extra {
			r.writeEvent(nil, e)
		}
		r.flush()
		return
	default:
		r.mode = modePass
	}
	if r.mode == modePass {
		r.w.WriteHeader(status)
	}
}

func (r *Rewriter) Write(b []byte) (int, error) {
	if r.mode == modeUnset {
		r.WriteHeader(http.StatusOK)
	}
	switch r.mode {
	case modeJSON:
		if r.held.Len()+len(b) > maxJSONAnswer {
			r.over = true
			return len(b), nil
		}
		r.held.Write(b)
		return len(b), nil
	case modeEvents:
		r.held.Write(b)
		r.events()
		return len(b), nil
	case modeReplace:
		return len(b), nil
	}
	return r.w.Write(b)
}

// Flush is called by the reverse proxy after each write of a stream.
func (r *Rewriter) Flush() {
	if r.mode == modePass || r.mode == modeEvents {
		r.flush()
	}
}

func (r *Rewriter) flush() {
	if f, ok := r.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Finish writes what is still held; call it once the backend's answer has
// been copied.
func (r *Rewriter) Finish() {
	switch r.mode {
	case modeUnset:
		if len(r.Extra) > 0 {
			r.replace()
		}
	case modeReplace:
		r.replace()
	case modeJSON:
		if r.over {
			body := ErrorResponse(nil, -32603, "the MCP backend's answer is too large to filter", nil)
			r.writeJSON(http.StatusBadGateway, body)
			return
		}
		r.writeJSON(r.status, r.rewriteJSON(r.held.Bytes()))
	case modeEvents:
		if r.held.Len() > 0 { // a last event without its blank line
			_, _ = r.w.Write(r.held.Bytes())
			r.held.Reset()
		}
	}
}

func (r *Rewriter) replace() {
	body := r.Extra[0]
	if len(r.Extra) > 1 {
		body = joinArray(r.Extra)
	}
	r.w.Header().Set("Content-Type", "application/json")
	r.writeJSON(http.StatusOK, body)
}

func (r *Rewriter) writeJSON(status int, body []byte) {
	h := r.w.Header()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	r.w.WriteHeader(status)
	_, _ = r.w.Write(body)
}

func (r *Rewriter) rewriteJSON(body []byte) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var raw []json.RawMessage
		if json.Unmarshal(trimmed, &raw) != nil {
			return body
		}
		msgs := make([][]byte, 0, len(raw)+len(r.Extra))
		for _, m := range raw {
			msgs = append(msgs, filterMessage(m, r.Lists, r.Keep))
		}
		return joinArray(append(msgs, r.Extra...))
	}
	out := filterMessage(trimmed, r.Lists, r.Keep)
	if len(r.Extra) > 0 {
		return joinArray(append([][]byte{out}, r.Extra...))
	}
	if len(out) == len(trimmed) {
		return body
	}
	return out
}

// events passes on every complete event held, rewriting those whose data
// is a list result to filter.
func (r *Rewriter) events() {
	for {
		buf := r.held.Bytes()
		end, next := eventEnd(buf)
		if end < 0 {
			return
		}
		event := buf[:next]
		if data, ok := eventData(buf[:end]); ok {
			if out := filterMessage(data, r.Lists, r.Keep); !bytes.Equal(out, data) {
				r.writeEvent(buf[:end], out)
				r.held.Next(next)
				continue
			}
		}
		_, _ = r.w.Write(event)
		r.held.Next(next)
	}
}

// writeEvent writes an event with data as its only data line, keeping
// the other fields (id, event, retry) of orig.
func (r *Rewriter) writeEvent(orig, data []byte) {
	var b bytes.Buffer
	for _, line := range bytes.Split(orig, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && !bytes.HasPrefix(line, []byte("data")) {
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	if orig == nil {
		b.WriteString("event: message\n")
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	_, _ = r.w.Write(b.Bytes())
}

// eventEnd finds the blank line ending the first event in buf: end is
// where the event's lines stop, next where the following event starts;
// -1 when the event is not complete yet.
func eventEnd(buf []byte) (end, next int) {
	for i := 0; i < len(buf); i++ {
		if buf[i] != '\n' {
			continue
		}
		j := i + 1
		if j < len(buf) && buf[j] == '\r' {
			j++
		}
		if j < len(buf) && buf[j] == '\n' {
			return i, j + 1
		}
	}
	return -1, -1
}

// eventData joins the data lines of an event (SSE: one "data" field per
// line, joined by newlines).
func eventData(event []byte) ([]byte, bool) {
	var data []byte
	found := false
	for _, line := range bytes.Split(event, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		v, ok := bytes.CutPrefix(line, []byte("data"))
		if !ok {
			continue
		}
		if len(v) > 0 && v[0] != ':' {
			continue // a field named data-something
		}
		v = bytes.TrimPrefix(bytes.TrimPrefix(v, []byte(":")), []byte(" "))
		if found {
			data = append(data, '\n')
		}
		data = append(data, v...)
		found = true
	}
	return data, found
}

func joinArray(msgs [][]byte) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, m := range msgs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(m)
	}
	b.WriteByte(']')
	return b.Bytes()
}
