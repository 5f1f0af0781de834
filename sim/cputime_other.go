//go:build !unix

package sim

// processCPU reports no CPU time where the system gives none.
func processCPU() (float64, bool) { return 0, false }
