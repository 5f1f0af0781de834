package sim

import (
	"math"

	"github.com/bluesim/bluesim/agents"
)

// WithAllPairs finds each epoch's pairs within radio range by checking
// every pair of present stays in the site, instead of the spatial grid
// (pairsInEpoch). It is the reference the grid, and any faster neighbour
// search that replaces it, must agree with exactly: same pairs, same
// distances, so the same ground-truth contacts and the same sightings
// (TestGridEqualsAllPairs). It costs O(n²) per site and epoch, so it is
// for tests and benchmarks of small scenarios, not for production runs.
func WithAllPairs(on bool) Option { return func(c *config) { c.allPairs = on } }

// allPairsInEpoch is the brute-force neighbour search: every pair i < j of
// present stays is tested against the radio range and handed to pair, with
// the same distance arithmetic and the same checks as the grid. It shares
// nothing with the grid's cell bookkeeping on purpose, so a fault there
// shows as a difference.
func (w *worker) allPairsInEpoch(site *agents.Site, stays []agents.Stay, e0, e1 int, density float32) {
	R := float32(w.e.rangeM)
	R2 := R * R
	for i := range w.pres {
		for j := i + 1; j < len(w.pres); j++ {
			ddx, ddy := w.px[i]-w.px[j], w.py[i]-w.py[j]
			d2 := ddx*ddx + ddy*ddy
			if d2 > R2 {
				continue
			}
			sa, sb := &stays[w.pres[i]], &stays[w.pres[j]]
			if sa.Person == sb.Person {
				continue
			}
			t0 := max(int(sa.Start), int(sb.Start), e0)
			t1 := min(int(sa.End), int(sb.End), e1)
			if t1 <= t0 {
				continue
			}
			w.pair(site, sa, sb, agents.Pos{X: w.px[i], Y: w.py[i]}, agents.Pos{X: w.px[j], Y: w.py[j]},
				float32(math.Sqrt(float64(d2))), t0, t1, density)
			if w.out.err != nil {
				return
			}
		}
	}
}
