package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/proxy/benchmark"
)

// measureStreams opens n idle MCP GET streams through the bare proxy and
// then through mcpgate (each its own process, in front of the static
// backend, which holds GETs open), and reports each proxy process's
// resident memory before and with the streams, and per stream.
func measureStreams(ctx context.Context, o options, n int) error {
	targets, procs, stop, err := startServers("process", benchmark.BackendStatic, "", "", o.timeout+time.Minute, o.mcpgateArgs)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("idle GET streams: %d at once through each proxy (static backend holding them open)\n", n)
	fmt.Printf("%-8s %12s %14s %16s %12s\n", "target", "RSS before", "RSS with them", "per stream", "opened in")
	for _, name := range []string{"bare", "mcpgate"} {
		var tg benchmark.Target
		for _, t := range targets {
			if t.Name == name {
				tg = t
			}
		}
		pid := procs[name]
		before := rss(pid)
		start := time.Now()
		conns, err := openStreams(ctx, tg, n)
		if err != nil {
			closeAll(conns)
			return fmt.Errorf("%s: %w", name, err)
		}
		opened := time.Since(start)
		time.Sleep(2 * time.Second) // let the process settle
		with := rss(pid)
		fmt.Printf("%-8s %9.1f MiB %11.1f MiB %13.1f KiB %12s\n", name, mib(before), mib(with),
			float64(with-before)/float64(n)/1024, opened.Round(time.Millisecond))
		closeAll(conns)
		time.Sleep(2 * time.Second)
	}
	return nil
}

// openStreams opens n connections, each with a GET the target answers
// with 200 text/event-stream, and keeps them open.
func openStreams(ctx context.Context, tg benchmark.Target, n int) ([]net.Conn, error) {
	u, err := url.Parse(tg.URL)
	if err != nil {
		return nil, err
	}
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nMCP-Protocol-Version: %s\r\n", u.RequestURI(), u.Host, benchmark.ProtocolVersion)
	if tg.Token != "" {
		fmt.Fprintf(&req, "Authorization: Bearer %s\r\n", tg.Token)
	}
	req.WriteString("\r\n")
	var conns []net.Conn
	d := net.Dialer{Timeout: 5 * time.Second}
	for i := range n {
		c, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return conns, fmt.Errorf("stream %d: %w", i, err)
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, req.String()); err != nil {
			return conns, fmt.Errorf("stream %d: %w", i, err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return conns, fmt.Errorf("stream %d: %w", i, err)
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			return conns, fmt.Errorf("stream %d: %d %s", i, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		c.SetReadDeadline(time.Time{})
	}
	return conns, nil
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// rss is a process's resident memory in bytes.
func rss(pid int) uint64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb uint64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
