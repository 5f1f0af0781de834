package output

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// PeakRSS returns the process's peak resident set size in bytes and where
// the number came from: "vmhwm" (the kernel's high-water mark, VmHWM in
// /proc/self/status on Linux) or "go_runtime" (runtime.MemStats.Sys, the
// memory the Go runtime obtained from the OS: an upper bound on the Go heap
// and stacks, used where /proc is missing).
func PeakRSS() (int64, string) {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		if n, ok := parseVmHWM(b); ok {
			return n, "vmhwm"
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.Sys), "go_runtime"
}

// parseVmHWM reads the "VmHWM:   1234 kB" line of /proc/self/status.
func parseVmHWM(status []byte) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		return n * 1024, true
	}
	return 0, false
}
