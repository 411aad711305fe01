package jsonrpc

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxJSONAnswer bounds a JSON answer held to be filtered; list results
// are small, and a larger answer to a filtered request is refused rather
// than passed on unfiltered.
const maxJSONAnswer = 32 << 20

// Rewriter passes a backend's answer on to the client, filtering list
// results (Lists: the kinds to filter, Keep: what the client may see) and
// adding answers mcpgate gives itself (Extra: error responses for batch
// members it refused). A JSON answer is held whole, an event stream is
// rewritten event by event as it flows. What it cannot read while lists
// are pending (an unknown content type, a compressed or broken body) is
// refused rather than passed on.
type Rewriter struct {
	w     http.ResponseWriter
	Lists Lists
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
	modeRefuse  // an answer that cannot be checked
)

// NewRewriter wraps w.
func NewRewriter(w http.ResponseWriter, lists Lists, keep func(List, string) bool, extra [][]byte) *Rewriter {
	return &Rewriter{w: w, Lists: lists, Keep: keep, Extra: extra}
}

func (r *Rewriter) Header() http.Header { return r.w.Header() }

// Unwrap lets http.ResponseController reach the connection (full duplex,
// deadlines).
func (r *Rewriter) Unwrap() http.ResponseWriter { return r.w }

// isJSON reports whether a media type is JSON: application/json, a
// +json type, or application/json-rpc.
func isJSON(ct string) bool {
	return ct == "application/json" || ct == "application/json-rpc" || strings.HasSuffix(ct, "+json")
}

func (r *Rewriter) WriteHeader(status int) {
	if r.mode != modeUnset {
		return
	}
	r.status = status
	h := r.w.Header()
	ct, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	checking := r.Lists != 0 || len(r.Extra) > 0
	encoded := h.Get("Content-Encoding") != "" && !strings.EqualFold(h.Get("Content-Encoding"), "identity")
	switch {
	case status == http.StatusAccepted && len(r.Extra) > 0:
		r.mode = modeReplace
	case status/100 != 2:
		r.mode = modePass
	case checking && encoded:
		r.mode = modeRefuse
	case isJSON(ct):
		r.mode = modeJSON
		return // written with the rewritten body
	case ct == "text/event-stream":
		r.mode = modeEvents
		h.Del("Content-Length") // events may be rewritten
		r.w.WriteHeader(status)
		for _, e := range r.Extra {
			r.writeEvent(nil, e)
		}
		r.flush()
		return
	case checking && status != http.StatusAccepted && status != http.StatusNoContent:
		r.mode = modeRefuse
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
	case modeReplace, modeRefuse:
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
	case modeRefuse:
		r.refuse()
	case modeJSON:
		if r.over {
			r.refuse()
			return
		}
		out, ok := r.rewriteJSON(r.held.Bytes())
		if !ok {
			r.refuse()
			return
		}
		r.writeJSON(r.status, out)
	case modeEvents:
		if r.held.Len() > 0 { // a last event without its blank line
			tail := append([]byte(nil), r.held.Bytes()...)
			r.held.Reset()
			r.event(tail, tail)
		}
	}
}

// refuse answers in place of a backend answer that could not be checked.
func (r *Rewriter) refuse() {
	h := r.w.Header()
	h.Del("Content-Encoding")
	h.Set("Content-Type", "application/json")
	r.writeJSON(http.StatusBadGateway, ErrorResponse(nil, -32603, "the MCP backend's answer could not be checked against the policy", nil))
}

func (r *Rewriter) replace() {
	body := r.Extra[0]
	if len(r.Extra) > 1 {
		body = JoinArray(r.Extra)
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

func (r *Rewriter) rewriteJSON(body []byte) ([]byte, bool) {
	out, ok := filterMessage(body, r.Lists, r.Keep)
	if !ok {
		return nil, false
	}
	if len(r.Extra) == 0 {
		return out, true
	}
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) > 1 && trimmed[0] == '[' {
		// Splice the extra answers into the backend's array.
		inner := bytes.TrimSpace(trimmed[1 : len(trimmed)-1])
		parts := [][]byte{}
		if len(inner) > 0 {
			parts = append(parts, inner)
		}
		return JoinArray(append(parts, r.Extra...)), true
	}
	return JoinArray(append([][]byte{trimmed}, r.Extra...)), true
}

// events passes on every complete event held, rewriting those whose data
// holds a list result to filter.
func (r *Rewriter) events() {
	for {
		buf := r.held.Bytes()
		end, next := eventEnd(buf)
		if end < 0 {
			return
		}
		event := append([]byte(nil), buf[:next]...)
		fields := event[:end]
		r.held.Next(next)
		r.event(fields, event)
	}
}

// event writes one event: as it came, or with its data filtered.
func (r *Rewriter) event(fields, raw []byte) {
	if data, ok := eventData(fields); ok {
		if out, _ := filterMessage(data, r.Lists, r.Keep); !bytes.Equal(out, data) {
			r.writeEvent(fields, out)
			return
		}
	}
	_, _ = r.w.Write(raw)
}

// writeEvent writes an event with data as its only data line, keeping
// the other fields (id, event, retry) of orig.
func (r *Rewriter) writeEvent(orig, data []byte) {
	var b bytes.Buffer
	for _, line := range splitLines(orig) {
		if len(line) > 0 && !isDataLine(line) {
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

// eventEnd finds the blank line ending the first event in buf (lines end
// in CRLF, LF or CR, as SSE allows): end is where the event's lines stop,
// next where the following event starts; -1 when the event is not
// complete yet.
func eventEnd(buf []byte) (end, next int) {
	lineStart := 0
	for i := 0; i < len(buf); i++ {
		c := buf[i]
		if c != '\n' && c != '\r' {
			continue
		}
		j := i + 1
		if c == '\r' {
			if j == len(buf) {
				return -1, -1 // a CR that may be the start of CRLF
			}
			if buf[j] == '\n' {
				j++
			}
		}
		if i == lineStart {
			return lineStart, j
		}
		lineStart = j
		i = j - 1
	}
	return -1, -1
}

// splitLines splits at CRLF, LF and CR.
func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' && b[i] != '\r' {
			continue
		}
		out = append(out, b[start:i])
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		start = i + 1
	}
	if start < len(b) {
		out = append(out, b[start:])
	}
	return out
}

func isDataLine(line []byte) bool {
	v, ok := bytes.CutPrefix(line, []byte("data"))
	return ok && (len(v) == 0 || v[0] == ':')
}

// eventData joins the data lines of an event (SSE: one "data" field per
// line, joined by newlines).
func eventData(event []byte) ([]byte, bool) {
	var data []byte
	found := false
	for _, line := range splitLines(event) {
		if !isDataLine(line) {
			continue
		}
		v := bytes.TrimPrefix(bytes.TrimPrefix(line[len("data"):], []byte(":")), []byte(" "))
		if found {
			data = append(data, '\n')
		}
		data = append(data, v...)
		found = true
	}
	return data, found
}

// JoinArray joins JSON messages into one JSON array (a batch).
func JoinArray(msgs [][]byte) []byte {
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
