package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/mcpgate/mcpgate/proxy/benchmark"
)

// Server processes. With -servers=process the backend and each proxy run
// in a child process of its own (this binary, re-executed with -role): one
// process's garbage collection then does not stop another's goroutines, as
// it would in one shared Go runtime, mcpgate runs as it is deployed, apart
// from its backend, and each process's CPU time is its own.

// childHello is the one line a child prints once it serves.
type childHello struct {
	Targets []benchmark.Target `json:"targets"`
	Error   string             `json:"error,omitempty"`
}

// serveRole is the child's side: start the role's servers, say where they
// are, and serve until stdin closes (the parent is done or gone) or the
// lifetime bound passes.
func serveRole(role, backend, backendURL, tokenKind, profile string, lifetime time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		s   *benchmark.Servers
		err error
	)
	switch role {
	case "backend":
		s, err = benchmark.StartBackend(backend)
	case "bare":
		s, err = benchmark.StartBare(ctx, backendURL)
	case "mcpgate":
		s, err = benchmark.StartMCPGateWith(ctx, backendURL, tokenKind)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	hello := childHello{}
	if err != nil {
		hello.Error = err.Error()
	} else {
		defer s.Close()
		hello.Targets = s.List
	}
	if err == nil && profile != "" {
		stop, perr := startProfile(profile)
		if perr != nil {
			err, hello.Error = perr, perr.Error()
		} else {
			// Stopped before the servers close, so that a slow shutdown
			// cut short by the parent cannot lose the profile.
			defer stop()
		}
	}
	if werr := json.NewEncoder(os.Stdout).Encode(hello); werr != nil || err != nil {
		return errors.Join(werr, err)
	}
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(lifetime):
	}
	return nil
}

// startProfile profiles this process's CPU from now (after setup, so the
// profile is the load) until stop.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// child is a server process this run started.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startChild runs exe ("" for this binary) in role and returns the
// targets it serves.
func startChild(exe string, lifetime time.Duration, args ...string) (*child, []benchmark.Target, error) {
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, nil, err
		}
	}
	cmd := exec.Command(exe, append(args, "-timeout", lifetime.String())...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	c := &child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	var hello childHello
	if err == nil {
		err = json.Unmarshal(line, &hello)
	}
	if err == nil && hello.Error != "" {
		err = errors.New(hello.Error)
	}
	if err != nil {
		c.stop()
		return nil, nil, fmt.Errorf("server process %v: %w", args, err)
	}
	return c, hello.Targets, nil
}

// stop closes the child's stdin, which ends it, and kills it (this
// process's own child, by its handle) if it has not exited in 5 s.
func (c *child) stop() {
	c.stdin.Close()
	done := make(chan struct{})
	go func() {
		c.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// startServers starts the three targets in-process or as three child
// processes, and returns them, the processes to account CPU to, and the
// function that stops them. A candidate is a loadtest binary built from a
// changed tree: its mcpgate joins as a fourth target, "candidate", in
// front of the same backend, so a hot-path change is measured against the
// current code in the same interleaved run.
func startServers(mode, backend, candidate, profileDir string, lifetime time.Duration, mcpgateArgs []string) ([]benchmark.Target, procSet, func(), error) {
	if mode == "inproc" {
		if candidate != "" {
			return nil, nil, nil, errors.New("-candidate needs -servers process")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := benchmark.StartTargets(ctx, backend)
		if err != nil {
			return nil, nil, nil, err
		}
		return s.List, procSet{"all": os.Getpid()}, s.Close, nil
	}
	if mode != "process" {
		return nil, nil, nil, fmt.Errorf("-servers must be process or inproc, not %q", mode)
	}
	procs := procSet{"loadgen": os.Getpid()}
	var children []*child
	stop := func() {
		for i := len(children) - 1; i >= 0; i-- {
			children[i].stop()
		}
	}
	start := func(name, exe string, args ...string) ([]benchmark.Target, error) {
		if profileDir != "" {
			args = append(args, "-cpuprofile", filepath.Join(profileDir, name+".pprof"))
		}
		c, ts, err := startChild(exe, lifetime, args...)
		if err != nil {
			stop()
			return nil, err
		}
		children = append(children, c)
		procs[name] = c.cmd.Process.Pid
		return ts, nil
	}
	direct, err := start("backend", "", "-role", "backend", "-backend", backend)
	if err != nil {
		return nil, nil, nil, err
	}
	targets := direct
	for _, role := range []string{"bare", "mcpgate"} {
		args := []string{"-role", role, "-backend-url", direct[0].URL}
		if role == "mcpgate" {
			args = append(args, mcpgateArgs...)
		}
		ts, err := start(role, "", args...)
		if err != nil {
			return nil, nil, nil, err
		}
		targets = append(targets, ts...)
	}
	if candidate != "" {
		alt, err := start("candidate", candidate, "-role", "mcpgate", "-backend-url", direct[0].URL)
		if err != nil {
			return nil, nil, nil, err
		}
		alt[0].Name = "candidate"
		targets = append(targets, alt...)
	}
	return targets, procs, stop, nil
}
