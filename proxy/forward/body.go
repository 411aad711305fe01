package forward

import (
	"bytes"
	"encoding/json"
	"io"
)

// Body is a request body read whole before forwarding. Forward sends it
// in one write with the request's headers: net/http does that only for
// bodies it knows are in memory, and the reverse proxy hides every body
// behind a wrapper of its own, so that a plain bytes.Reader set as the
// request's body would still cost a second write (a system call and a
// wake-up of the backend) per request.
type Body struct {
	reader bytes.Reader
	raw    []byte
}

// NewBody returns b as a request body.
func NewBody(b []byte) *Body {
	body := &Body{raw: b}
	body.reader.Reset(b)
	return body
}

// requestID is the id of the one JSON-RPC request the body holds, or null
// (a batch, a notification, or what is not JSON-RPC). It is read only
// when mcpgate answers for a backend that failed, so the hot path never
// parses for it.
func (b *Body) requestID() json.RawMessage {
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if len(b.raw) == 0 || b.raw[0] != '{' || json.Unmarshal(b.raw, &m) != nil || m.Method == "" {
		return nil
	}
	switch id := bytes.TrimSpace(m.ID); {
	case len(id) == 0, string(id) == "null":
		return nil
	case id[0] == '"' || id[0] == '-' || (id[0] >= '0' && id[0] <= '9'):
		return id
	}
	return nil
}

func (b *Body) Read(p []byte) (int, error) { return b.reader.Read(p) }

// Close does nothing: the bytes stay the caller's.
func (b *Body) Close() error { return nil }

// outgoing is the body as the backend's request carries it: a type
// net/http recognizes as in memory.
func (b *Body) outgoing() io.ReadCloser { return io.NopCloser(&b.reader) }
