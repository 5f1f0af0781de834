//go:build unix

package loadgen

import "syscall"

// raiseFileLimit raises RLIMIT_NOFILE's soft limit to want if it can: up
// to the hard limit, and past it where the process may (root). It returns
// the soft limit in force afterwards.
func raiseFileLimit(want uint64) uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	if l.Cur >= want {
		return l.Cur
	}
	if want > l.Max {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return want
		}
	}
	l.Cur = min(want, l.Max)
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	}
	return l.Cur
}
