//go:build unix

package tracingbench

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the whole process has used.
// The measurement runs with GOMAXPROCS 1 in the caller, so this is the
// work of the measured goroutine plus the garbage collector's, and not the
// time the process spent waiting while other processes held the core.
// ok is false where the clock cannot be read.
func processCPU() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
