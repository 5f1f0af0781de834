//go:build !unix

package loadgen

// raiseFileLimit: no RLIMIT_NOFILE here (0: no limit known).
func raiseFileLimit(uint64) uint64 { return 0 }
