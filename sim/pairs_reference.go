package sim

import "github.com/bluesim/bluesim/agents"

// WithAllPairs finds the pairs within radio range by checking every pair,
// instead of through the spatial grids: every pair of a site's seated
// stays once, and each epoch every pair of a free position with another
// free position or with a seat taken in that epoch. It is the reference
// the grids, and any faster neighbour search that replaces them, must
// agree with exactly: same pairs, same distances, so the same ground-truth
// contacts and the same sightings (TestGridEqualsAllPairs). It costs
// O(n²) per site and epoch, so it is for tests and benchmarks of small
// scenarios, not for production runs.
func WithAllPairs(on bool) Option { return func(c *config) { c.allPairs = on } }

// allFreePairs is freePairs by brute force: every free position against
// every later free position and every taken seat, with the same checks
// (worker.near) but none of the grids' cell bookkeeping, so that a fault
// there shows as a difference.
func (w *worker) allFreePairs(site *agents.Site, stays []agents.Stay, e0, e1 int, density float32) bool {
	f, s := &w.free, &w.taken
	dens := func(int, int) float32 { return density }
	for i := range f.stay {
		for j := i + 1; j < len(f.stay); j++ {
			if !w.near(site, stays, f.stay[i], f.stay[j], f.x[i], f.y[i], f.x[j], f.y[j], e0, e1, dens) {
				return false
			}
		}
		for j := range s.stay {
			if !w.near(site, stays, f.stay[i], s.stay[j], f.x[i], f.y[i], s.x[j], s.y[j], e0, e1, dens) {
				return false
			}
		}
	}
	return true
}

// allSeatedPairs is seatedPairs by brute force: every pair of the site's
// seated stays.
func (w *worker) allSeatedPairs(site *agents.Site, stays []agents.Stay, epoch int) bool {
	s := &w.seats
	for i := range s.stay {
		for j := i + 1; j < len(s.stay); j++ {
			if !w.near(site, stays, s.stay[i], s.stay[j], s.x[i], s.y[i], s.x[j], s.y[j], 0, agents.MinutesPerDay, w.overlapDensity(epoch)) {
				return false
			}
		}
	}
	return true
}
