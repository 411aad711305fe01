package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// CPU accounting. On a shared, noisy machine throughput moves with
// whatever else runs, but the CPU time a process spends per request
// hardly does: it is the steadier measure of what mcpgate adds. Each
// server process's user+system time is read from /proc before and after
// every round; where /proc is missing the numbers are simply zero.

// clockTick is USER_HZ, 100 on every Linux this runs on (a cgo-free
// program cannot ask sysconf).
const clockTick = 10 * time.Millisecond

// procCPU is a process's total CPU time so far.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which may contain spaces, so cut at
	// its closing parenthesis: state ppid ... utime(12th) stime(13th).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * clockTick
}

// procIO is a process's count of read and write system calls so far
// (/proc/PID/io syscr + syscw): on a virtual machine each costs far more
// than the Go code around it, so the count per request explains much of a
// proxy's cost, and unlike time it does not vary with the neighbours.
func procIO(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0
	}
	var n int64
	for _, line := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(line, ": ")
		if ok && (name == "syscr" || name == "syscw") {
			x, _ := strconv.ParseInt(v, 10, 64)
			n += x
		}
	}
	return n
}

// procSet names the processes of a run: "loadgen" (this one) and the
// server processes.
type procSet map[string]int

// usage is what a process has used so far.
type usage struct {
	cpu      time.Duration
	syscalls int64
}

func (p procSet) sample() map[string]usage {
	out := make(map[string]usage, len(p))
	for name, pid := range p {
		out[name] = usage{procCPU(pid), procIO(pid)}
	}
	return out
}

// perRequest is each process's CPU (µs) and read/write system calls per
// request between two samples.
func perRequest(before, after map[string]usage, requests int64) (cpu, syscalls map[string]float64) {
	cpu, syscalls = map[string]float64{}, map[string]float64{}
	if requests <= 0 {
		return cpu, syscalls
	}
	for name, a := range after {
		cpu[name] = float64((a.cpu - before[name].cpu).Microseconds()) / float64(requests)
		syscalls[name] = float64(a.syscalls-before[name].syscalls) / float64(requests)
	}
	return cpu, syscalls
}
