package main

import (
	"os"
	"runtime/debug"
)

// simulationGCPercent is the garbage collector's target for the commands
// that simulate (run, sweep, target, calibrate, bench sim), unless the
// GOGC environment variable sets one. Most of a run's memory is its
// sighting store, arrays without pointers reused from day to day, so a
// collection costs little, while Go's default (100: the heap may grow to
// twice what the last collection kept) would let the peak grow that much.
// At 50 the peak of the 100,000-person town fell from 1.30 to 1.02 GB
// with the CPU time unchanged within the noise (2-core shared machine);
// at 25, once the run's own peaks were cut, from 824-865 MB to 772-781 MB
// over 14 days, CPU 45.8-46.3 s against 46.3-46.4 s (bench sim, two runs
// of each, alternating, same machine).
const simulationGCPercent = 25

// simulationGC applies simulationGCPercent unless GOGC is set.
func simulationGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(simulationGCPercent)
	}
}
