//go:build !unix

package tracingbench

import "time"

// processCPU has no portable implementation here: Run falls back to wall
// time, and Result.CPUClock says so.
func processCPU() (time.Duration, bool) { return 0, false }
