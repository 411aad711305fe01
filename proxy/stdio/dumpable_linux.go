package stdio

import (
	"fmt"
	"math"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// hideFromChildren makes mcpgate non-dumpable. A child running as the
// same user could otherwise read /proc/<mcpgate>/environ, which still
// holds every MCPGATE_ secret the process started with (clearing the Go
// environment does not touch that copy), or attach with ptrace. The
// kernel then owns mcpgate's /proc entries as root; the child's own
// environment is built from nothing (childEnv).
//
// Go opens its own descriptors close-on-exec, but descriptors mcpgate
// inherited from whatever started it (a shell, a supervisor) are not, and
// every child would inherit them in turn: they are marked close-on-exec
// too, so that a child gets only its pipes.
func hideFromChildren() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("stdio: prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	if err := unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return closeOnExecEach() // kernels before 5.11
	}
	return nil
}

func closeOnExecEach() error {
	dir, err := os.Open("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("stdio: list descriptors: %w", err)
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("stdio: list descriptors: %w", err)
	}
	for _, name := range names {
		if fd, err := strconv.Atoi(name); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}
