//go:build linux

package interop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a subprocess of a test. It runs in its own process group so that
// whatever it spawns (node launchers, xdg-open, browsers) is stopped with it.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer // stdout and stderr, interleaved
	done chan struct{}
	err  error // the exit status; set when done is closed
	// stdin is held open for programs that quit when their stdin ends.
	stdin *os.File
}

type procOptions struct {
	// dir is the working directory; default the test's.
	dir string
	// quiet leaves the output out of the log on failure: the caller puts
	// it in its own failure message.
	quiet bool
	// holdStdin keeps the child's stdin open until the process is stopped:
	// mcp-remote shuts down when stdin ends, as a stdio proxy should.
	holdStdin bool
}

// startProc starts args[0] with args[1:] and env, and stops it, with its
// process group, when ctx ends or the test ends. If the test failed, the
// end of its output is logged (redacted).
func startProc(t *testing.T, ctx context.Context, name string, args, env []string, o procOptions) *proc {
	t.Helper()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = env
	cmd.Dir = o.dir
	p := &proc{name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// Pdeathsig: if the test binary dies (a -timeout panic skips cleanups),
	// its children die with it instead of holding ports.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// exec.CommandContext calls Cancel when its context ends.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var childStdin *os.File
	if o.holdStdin {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin, childStdin, p.stdin = r, r, w
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	if childStdin != nil {
		childStdin.Close()
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() && !o.quiet {
			t.Logf("%s output (end):\n%s", name, tail(redact(p.out.String()), 6000))
		}
	})
	return p
}

// stop ends the process group: SIGTERM, then SIGKILL after 5s.
func (p *proc) stop() {
	if p.stdin != nil {
		p.stdin.Close()
	}
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// wait waits for the process to exit by itself within d.
func (p *proc) wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("%s still running after %s", p.name, d)
	}
}

// waitOutput waits until the output has a line for which match is true
// and returns that line.
func (p *proc) waitOutput(d time.Duration, match func(line string) bool) (string, error) {
	deadline := time.After(d)
	for {
		// Whether it exited is read before the output, so that output
		// written just before the exit is still searched.
		exited := false
		select {
		case <-p.done:
			exited = true
		default:
		}
		for _, line := range strings.Split(p.out.String(), "\n") {
			if match(line) {
				return line, nil
			}
		}
		if exited {
			return "", fmt.Errorf("%s exited (%s) before the awaited output", p.name, exitError(p.err))
		}
		select {
		case <-deadline:
			return "", fmt.Errorf("%s: the awaited output did not come within %s", p.name, d)
		case <-p.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runProc runs args to completion within timeout and returns the output;
// the caller reports it.
func runProc(t *testing.T, name string, timeout time.Duration, args []string, env []string, o procOptions) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	o.quiet = true
	p := startProc(t, ctx, name, args, env, o)
	<-p.done // the context's end kills it
	if ctx.Err() != nil {
		return p.out.String(), fmt.Errorf("%s timed out after %s", name, timeout)
	}
	return p.out.String(), p.err
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// freePort returns a port on 127.0.0.1 that was free a moment ago. The
// processes under test need their ports before they start (mcpgate's
// public URL is configuration), so a listener cannot be handed over.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitHTTP polls url until it answers with want (any status if 0), the
// process exits, or d passes.
func (p *proc) waitHTTP(url string, want int, d time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if want == 0 || resp.StatusCode == want {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%s) before %s answered", p.name, exitError(p.err), url)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready within %s: %v", url, d, last)
}

// childEnv is the environment for a child process: this one's, without
// anything that would make a client reach a real desktop, browser or home
// directory, with home as HOME, plus extra ("K=V").
func childEnv(home string, extra ...string) []string {
	drop := []string{"HOME=", "BROWSER=", "DISPLAY=", "WAYLAND_DISPLAY=", "DBUS_SESSION_BUS_ADDRESS=", "XDG_", "NODE_OPTIONS=", "MCPGATE_", "MCP_", "IDP_", "INTEROP_"}
	var env []string
	for _, kv := range os.Environ() {
		keep := true
		for _, d := range drop {
			if strings.HasPrefix(kv, d) {
				keep = false
				break
			}
		}
		if keep {
			env = append(env, kv)
		}
	}
	// NO_COLOR keeps ANSI colour codes out of the output the tests parse.
	return append(append(env, "HOME="+home, "NO_COLOR=1"), extra...)
}

// Secrets that must never reach the test log.
var (
	secretsMu sync.Mutex
	secrets   []string
	jwtLike   = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+`)
)

// addSecret registers a value that redact removes from logged text.
func addSecret(s string) {
	if len(s) < 6 {
		return
	}
	secretsMu.Lock()
	defer secretsMu.Unlock()
	secrets = append(secrets, s)
}

// redact removes registered secrets and anything shaped like a JWT.
func redact(s string) string {
	secretsMu.Lock()
	defer secretsMu.Unlock()
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return jwtLike.ReplaceAllString(s, "[jwt redacted]")
}

// exitError describes how a finished process ended.
func exitError(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
