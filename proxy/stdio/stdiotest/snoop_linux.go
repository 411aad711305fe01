package stdiotest

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// snoop is what a hostile child tries against the process that started
// it: its parent's environment and memory through /proc, and the
// descriptors it inherited. One line each: what it read, or the error.
func snoop() string {
	report := make(chan string)
	go func() {
		// A child running as root holds CAP_SYS_PTRACE, which reads any
		// process: drop every capability of this thread, keeping the uid,
		// to be the child of a non-root mcpgate (the image runs as 65532)
		// running as the same user. The thread stays locked, so it is
		// discarded when this goroutine ends.
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var none [2]unix.CapUserData
		if err := unix.Capset(&hdr, &none[0]); err != nil {
			report <- "capset: " + err.Error()
			return
		}
		report <- snoopParent()
	}()
	return <-report
}

func snoopParent() string {
	parent := "/proc/" + strconv.Itoa(os.Getppid())
	var b strings.Builder
	for _, f := range []string{"environ", "mem", "cmdline"} {
		data, err := os.ReadFile(parent + "/" + f)
		if err != nil {
			fmt.Fprintf(&b, "%s: refused (%v)\n", f, errors.Unwrap(err))
		} else {
			fmt.Fprintf(&b, "%s: read %q\n", f, data)
		}
	}
	// Read the descriptor table through one open directory, whose own
	// descriptor is then left out; each as fd=target.
	dir, err := os.Open("/proc/self/fd")
	if err != nil {
		fmt.Fprintf(&b, "fds: %v\n", err)
		return b.String()
	}
	defer dir.Close()
	names, _ := dir.Readdirnames(-1)
	sort.Slice(names, func(i, j int) bool { a, _ := strconv.Atoi(names[i]); c, _ := strconv.Atoi(names[j]); return a < c })
	for _, n := range names {
		if n == strconv.Itoa(int(dir.Fd())) {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + n)
		fmt.Fprintf(&b, "fd %s=%s\n", n, target)
	}
	return b.String()
}
