package audit

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRecordJSON(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
		want map[string]any
	}{
		{name: "request", rec: Record{Time: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), Event: "mcp_request", RequestID: "r1", Subject: "https://idp#ada",
			Email: "ada@example.com", ClientID: "c", Method: "tools/call", Kind: "tool", Target: "echo", Decision: "allow", Rule: "eng", Status: 200, Latency: 1500 * time.Microsecond},
			want: map[string]any{"time": "2026-12-02T10:00:00Z", "event": "mcp_request", "request_id": "r1", "sub": "https://idp#ada", "email": "ada@example.com",
				"client_id": "c", "method": "tools/call", "kind": "tool", "target": "echo", "decision": "allow", "rule": "eng", "status": 200.0, "latency_ms": 1.5}},
		{name: "sign-in through one of several IdPs", rec: Record{Time: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), Event: "signin", Subject: "https://corp#ada", IdP: "corp", Decision: "allow"},
			want: map[string]any{"time": "2026-12-02T10:00:00Z", "event": "signin", "sub": "https://corp#ada", "idp": "corp", "decision": "allow"}},
		{name: "hostile strings stay one valid line", rec: Record{Time: time.Unix(0, 0), Target: "a\"\n\\\x00\xff€"},
			want: map[string]any{"time": "1970-01-01T00:00:00Z", "target": "a\"\n\\\x00\uFFFD€"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := tt.rec.appendJSON(nil)
			if strings.Count(string(line), "\n") != 1 {
				t.Fatalf("got %q, want one line", line)
			}
			var got map[string]any
			if err := json.Unmarshal(line, &got); err != nil {
				t.Fatalf("got %q, not JSON: %v", line, err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: got %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

// TestReopen: after logrotate moves the file, a reopen writes to a new
// file at the path; nothing is lost on either side.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Write(&Record{Time: time.Now(), Event: "a"})
	waitLines(t, path, 1)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Write(&Record{Time: time.Now(), Event: "b"}) // still the moved file
	waitLines(t, path+".1", 2)
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		l.Write(&Record{Time: time.Now(), Event: "c"})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := countLines(t, path); n != 100 {
		t.Errorf("got %d lines in the new file, want 100", n)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("got %v, %v, want mode 0600", fi.Mode(), err)
	}
}

func waitLines(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for countLines(t, path) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %d lines, want %d", path, countLines(t, path), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countLines(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); n++ {
	}
	return n
}

// TestConcurrentWrites: lines from many requests at once are all written,
// whole, whatever the flushes in between.
func TestConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				l.Write(&Record{Time: time.Now(), Event: "mcp_request", Target: strings.Repeat("x", (g*i)%700)})
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 4096)
	for ; sc.Scan(); n++ {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("line %d is not JSON: %q", n, sc.Text())
		}
	}
	if n != 16000 {
		t.Errorf("got %d lines, want 16000", n)
	}
}

// FuzzAppendString: every string comes out as a JSON string that reads
// back as itself, each invalid UTF-8 byte as U+FFFD.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain ascii", `quote " and \ back`, "ctl\x00\x1f\x7f\r\n", "héllo ✓", "bad \xff\xfe utf8", "\xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q gave %s, not JSON: %v", s, out, err)
		}
		var want strings.Builder
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				want.WriteRune(utf8.RuneError)
			} else {
				want.WriteString(s[i : i+size])
			}
			i += size
		}
		if got != want.String() {
			t.Fatalf("%q read back as %q", s, got)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = appendString(buf[:0], "http://127.0.0.1:42023#dev-nlK3G61UQZPsOtDK")
	}
}
