package forward

import (
	"bytes"
	"io"
)

// Body is a request body read whole before forwarding. Forward sends it
// in one write with the request's headers: net/http does that only for
// bodies it knows are in memory, and the reverse proxy hides every body
// behind a wrapper of its own, so that a plain bytes.Reader set as the
// request's body would still cost a second write (a system call and a
// wake-up of the backend) per request.
type Body struct{ reader bytes.Reader }

// NewBody returns b as a request body.
func NewBody(b []byte) *Body {
	body := &Body{}
	body.reader.Reset(b)
	return body
}

func (b *Body) Read(p []byte) (int, error) { return b.reader.Read(p) }

// Close does nothing: the bytes stay the caller's.
func (b *Body) Close() error { return nil }

// outgoing is the body as the backend's request carries it: a type
// net/http recognizes as in memory.
func (b *Body) outgoing() io.ReadCloser { return io.NopCloser(&b.reader) }
