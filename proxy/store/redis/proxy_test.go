package redis

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// proxy stands between a store and the test Redis so that a test can make
// Redis go away and come back, or answer like a Redis still loading its
// data, without touching the real server.
type proxy struct {
	t      *testing.T
	addr   string // the same across restarts, as a restarted Redis's
	target string

	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	loading bool
	wg      sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.start(false)
	t.Cleanup(p.stop)
	return p
}

// start listens again on the proxy's address. loading makes it answer
// every command with a LOADING error instead of forwarding.
func (p *proxy) start(loading bool) {
	p.t.Helper()
	var ln net.Listener
	var err error
	// The port was just ours; the kernel may take a moment to let go.
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.addr = ln.Addr().String()
	p.loading = loading
	p.mu.Unlock()
	p.wg.Go(func() { p.accept(ln) })
}

// stop closes the listener and every connection, as a Redis going down.
func (p *proxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.mu.Lock()
		loading := p.loading
		p.mu.Unlock()
		if loading {
			p.wg.Go(func() {
				defer p.untrack(c)
				answerLoading(c)
			})
			continue
		}
		p.wg.Go(func() {
			defer p.untrack(c)
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				return
			}
			if !p.track(up) {
				return
			}
			defer p.untrack(up)
			done := make(chan struct{}, 2)
			go func() { io.Copy(up, c); done <- struct{}{} }()
			go func() { io.Copy(c, up); done <- struct{}{} }()
			<-done
		})
	}
}

// answerLoading reads RESP commands and answers each as a Redis that is
// loading its dataset after a restart does.
func answerLoading(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		if err := skipCommand(r); err != nil {
			return
		}
		if _, err := io.WriteString(c, "-LOADING Redis is loading the dataset in memory\r\n"); err != nil {
			return
		}
	}
}

// skipCommand reads one command: an array of bulk strings.
func skipCommand(r *bufio.Reader) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if len(line) < 3 || line[0] != '*' {
		return errors.New("not an array")
	}
	n, err := strconv.Atoi(line[1 : len(line)-2])
	if err != nil {
		return err
	}
	for range n {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		size, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil {
			return err
		}
		if _, err := r.Discard(size + 2); err != nil {
			return err
		}
	}
	return nil
}
