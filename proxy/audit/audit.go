// Package audit writes the audit log: one JSON line per MCP request and
// per sign-in decision, never a token, cookie, secret or call argument.
//
// A request appends its line to a buffer in memory; the buffer is written
// out every flushInterval, at once when it grows past bufferLimit, and on
// Close. So the hot path pays for encoding and a lock, not for a system
// call and a goroutine wake-up per line; a crash loses at most the last
// flushInterval of lines.
package audit

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Record is one audited decision. Empty fields are left out of the line.
type Record struct {
	Time time.Time
	// Event is "mcp_request" or "signin".
	Event     string
	RequestID string
	// Backend names the backend of an MCP request; "" for the default.
	Backend string
	Subject string
	// IdP names the upstream IdP the user signed in with, when there are
	// several.
	IdP      string
	Email    string
	ClientID string
	// Method is the JSON-RPC method (or the HTTP method of a request
	// without a body: GET, DELETE).
	Method string
	// Kind and Target are what a call names: tool, resource or prompt,
	// and its name or URI.
	Kind   string
	Target string
	// Decision is allow, deny, step_up or invalid.
	Decision string
	Rule     string
	Reason   string
	// Status and Latency are the backend's HTTP status and how long the
	// exchange took, for forwarded requests.
	Status  int
	Latency time.Duration
}

const (
	flushInterval = 20 * time.Millisecond
	bufferLimit   = 256 << 10
)

// Log is an audit log; see Open.
type Log struct {
	path string
	stop chan struct{}
	done chan struct{}
	pool sync.Pool // encoding buffers

	// mu guards buf, held only to append a line or swap buffers, so that
	// requests never wait for the disk.
	mu  sync.Mutex
	buf []byte
	// out serialises writes (in order) and guards file, spare and err.
	out   sync.Mutex
	file  *os.File
	spare []byte
	err   error // the last write error, reported by Close
}

// Open starts an audit log writing to path: "stdout" or a file, created
// with mode 0600 and appended to.
func Open(path string) (*Log, error) {
	l := &Log{path: path, stop: make(chan struct{}), done: make(chan struct{}),
		buf: make([]byte, 0, bufferLimit), spare: make([]byte, 0, bufferLimit)}
	l.pool.New = func() any { b := make([]byte, 0, 512); return &b }
	f, err := l.open()
	if err != nil {
		return nil, err
	}
	l.file = f
	go l.flusher()
	return l, nil
}

func (l *Log) open() (*os.File, error) {
	if l.path == "stdout" {
		return os.Stdout, nil
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", l.path, err)
	}
	return f, nil
}

// Reopen writes what is buffered to the old file, then appends to a file
// opened anew at the path (after logrotate moved the old one).
func (l *Log) Reopen() error {
	if l.path == "stdout" {
		return nil
	}
	f, err := l.open()
	if err != nil {
		return err
	}
	l.out.Lock()
	defer l.out.Unlock()
	l.flushOut()
	old := l.file
	l.file = f
	return old.Close()
}

// Close writes what is buffered and closes the file.
func (l *Log) Close() error {
	close(l.stop)
	<-l.done
	l.out.Lock()
	defer l.out.Unlock()
	l.flushOut()
	err := l.err
	if l.file != os.Stdout {
		if cerr := l.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (l *Log) flusher() {
	defer close(l.done)
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.flush()
		}
	}
}

func (l *Log) flush() {
	l.out.Lock()
	defer l.out.Unlock()
	l.flushOut()
}

// flushOut swaps the buffer for the spare one and writes it; l.out is
// held.
func (l *Log) flushOut() {
	l.mu.Lock()
	full := l.buf
	l.buf = l.spare[:0]
	l.mu.Unlock()
	if len(full) > 0 {
		if _, err := l.file.Write(full); err != nil {
			l.err = fmt.Errorf("audit: write %s: %w", l.path, err)
		}
	}
	l.spare = full[:0]
}

// Write adds r to the log.
func (l *Log) Write(r *Record) {
	bp := l.pool.Get().(*[]byte)
	line := r.appendJSON((*bp)[:0])
	l.mu.Lock()
	l.buf = append(l.buf, line...)
	full := len(l.buf) >= bufferLimit
	l.mu.Unlock()
	*bp = line
	l.pool.Put(bp)
	if full {
		l.flush()
	}
}

func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = field(b, "event", r.Event)
	b = field(b, "request_id", r.RequestID)
	b = field(b, "backend", r.Backend)
	b = field(b, "sub", r.Subject)
	b = field(b, "idp", r.IdP)
	b = field(b, "email", r.Email)
	b = field(b, "client_id", r.ClientID)
	b = field(b, "method", r.Method)
	b = field(b, "kind", r.Kind)
	b = field(b, "target", r.Target)
	b = field(b, "decision", r.Decision)
	b = field(b, "rule", r.Rule)
	b = field(b, "reason", r.Reason)
	if r.Status != 0 {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(r.Status), 10)
	}
	if r.Latency != 0 {
		b = append(b, `,"latency_ms":`...)
		b = strconv.AppendFloat(b, float64(r.Latency)/float64(time.Millisecond), 'f', 3, 64)
	}
	return append(b, '}', '\n')
}

func field(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD
// so that every line is valid JSON whatever an IdP or client sent.
// plain marks the bytes a JSON string holds as they are: printable ASCII
// but for the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		// A run of bytes that need no escaping (almost every value) is
		// appended at once.
		run := i
		for run < len(s) && plain[s[run]] {
			run++
		}
		b = append(b, s[i:run]...)
		if i = run; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			default: // a control character
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
