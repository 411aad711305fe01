package client

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBrowserCommand: --browser and $BROWSER run the command directly
// (never a shell, so the URL cannot inject one), with the URL where %s
// stands or else last.
func TestBrowserCommand(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, command, url, wantFile string
	}{
		{name: "URL appended", command: "touch", url: filepath.Join(dir, "appended"), wantFile: "appended"},
		{name: "URL in place of %s", command: "touch %s", url: filepath.Join(dir, "substituted"), wantFile: "substituted"},
		{name: "no shell: metacharacters stay in the argument", command: "touch", url: filepath.Join(dir, "a;b$(touch injected)&c"), wantFile: "a;b$(touch injected)&c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Command(tt.command)(context.Background(), tt.url); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				entries, _ := os.ReadDir(dir)
				found := false
				for _, e := range entries {
					if strings.HasPrefix(e.Name(), tt.wantFile) {
						found = true
					}
				}
				if found {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the command did not run with the URL")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	if _, err := os.Stat("injected"); err == nil {
		os.Remove("injected")
		t.Error("the URL ran a second command: it went through a shell")
	}
	if err := Command("")(context.Background(), "x"); err == nil {
		t.Error("an empty command ran")
	}
}

// TestLoopbackListener: on the port asked for (--port), on 127.0.0.1
// only; it answers the flow's own state, and nothing else ends the flow.
func TestLoopbackListener(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	lb, err := listenLoopback(port)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.close()
	if want := "http://127.0.0.1:" + strconv.Itoa(port) + "/callback"; lb.redirectURL() != want {
		t.Fatalf("redirect URL %s, want %s", lb.redirectURL(), want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := make(chan string, 1)
	go func() {
		res, err := lb.wait(ctx, "the-state")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- res.Code + " " + res.Iss
	}()
	get := func(query string) int {
		for {
			resp, err := http.Get(lb.redirectURL() + "?" + query)
			if err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(50 * time.Millisecond) // let wait hand over its state
	if s := get("code=stolen&state=another"); s != http.StatusBadRequest {
		t.Errorf("another state: %d, want 400", s)
	}
	if s := get("state=the-state"); s != http.StatusBadRequest {
		t.Errorf("no code: %d, want 400", s)
	}
	if s := get("code=c1&state=the-state&iss=https%3A%2F%2Fas.example.com"); s != http.StatusOK {
		t.Errorf("the flow's answer: %d, want 200", s)
	}
	if r := <-got; r != "c1 https://as.example.com" {
		t.Errorf("result %q", r)
	}
	if s := get("code=c2&state=the-state"); s != http.StatusBadRequest {
		t.Errorf("a second answer: %d, want 400 (no sign-in waiting)", s)
	}
}
