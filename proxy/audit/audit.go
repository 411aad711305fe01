// Package audit writes the audit log: one JSON line per MCP request and
// per sign-in decision, never a token, cookie, secret or call argument.
//
// Lines are queued and written by one goroutine, so that the hot path
// pays for encoding only; the queue is flushed whenever it runs empty and
// on Close, and a full queue makes writers wait rather than lose lines.
package audit

import (
	"bufio"
	"fmt"
	"io"
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
	Subject   string
	Email     string
	ClientID  string
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

// Log is an audit log; the zero value is not usable, see Open.
type Log struct {
	path  string
	queue chan []byte
	done  chan struct{}

	mu   sync.Mutex // guards file and w against Reopen
	file *os.File
	w    *bufio.Writer
	pool sync.Pool
}

// Open starts an audit log writing to path: "stdout" or a file, created
// with mode 0600 and appended to.
func Open(path string) (*Log, error) {
	l := &Log{path: path, queue: make(chan []byte, 4096), done: make(chan struct{})}
	l.pool.New = func() any { b := make([]byte, 0, 512); return &b }
	if err := l.open(); err != nil {
		return nil, err
	}
	go l.run()
	return l, nil
}

func (l *Log) open() error {
	var f *os.File
	if l.path == "stdout" {
		f = os.Stdout
	} else {
		var err error
		if f, err = os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return fmt.Errorf("audit: open %s: %w", l.path, err)
		}
	}
	l.file, l.w = f, bufio.NewWriterSize(f, 64<<10)
	return nil
}

// Reopen closes and reopens the file (after logrotate moved it).
func (l *Log) Reopen() error {
	if l.path == "stdout" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.w.Flush()
	old := l.file
	if err := l.open(); err != nil {
		l.file, l.w = old, bufio.NewWriterSize(old, 64<<10)
		return err
	}
	return old.Close()
}

// Close writes what is queued and closes the file.
func (l *Log) Close() error {
	close(l.queue)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.w.Flush()
	if l.file != os.Stdout {
		if cerr := l.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (l *Log) run() {
	defer close(l.done)
	for line := range l.queue {
		l.mu.Lock()
		_, _ = l.w.Write(line)
		if len(l.queue) == 0 {
			_ = l.w.Flush()
		}
		l.mu.Unlock()
	}
}

// Write queues r.
func (l *Log) Write(r *Record) {
	bp := l.pool.Get().(*[]byte)
	*bp = r.appendJSON((*bp)[:0])
	line := make([]byte, len(*bp))
	copy(line, *bp)
	l.pool.Put(bp)
	l.queue <- line
}

var _ io.Closer = (*Log)(nil)

func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = field(b, "event", r.Event)
	b = field(b, "request_id", r.RequestID)
	b = field(b, "sub", r.Subject)
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
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
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
