package sim

import "github.com/bluesim/bluesim/agents"

// The neighbour search when only pairs with someone hot matter
// (view.hot): each hot member looks at the whole 3×3 neighbourhood of its
// cell, and a pair of two hot members is taken from the higher member
// number only, so that every pair with someone hot is visited once, and no
// pair of two people not hot at all. The pairs are the same as freePairs'
// and seatedPairs' less the pairs that leave nothing; only the order in
// which they are visited differs, which no result depends on
// (TestGridEqualsAllPairs compares both against the brute-force search,
// which visits every pair).

// neighbours calls visit(j) for every member j of grid g in the 3×3 cells
// around cell c, stopping at the first false.
func (w *worker) neighbours(g *grid, c int32, visit func(j int32) bool) bool {
	nx, ny := w.nx, w.ny
	cx, cy := int(c)%nx, int(c)/nx
	for y := max(0, cy-1); y <= min(ny-1, cy+1); y++ {
		for x := max(0, cx-1); x <= min(nx-1, cx+1); x++ {
			for j := g.head[y*nx+x]; j >= 0; j = g.link[j] {
				if !visit(j) {
					return false
				}
			}
		}
	}
	return true
}

// hotFreePairs is freePairs for the pairs with someone hot.
func (w *worker) hotFreePairs(site *agents.Site, stays []agents.Stay, e0, e1 int, density float32) bool {
	f, s := &w.free, &w.taken
	dens := func(int, int) float32 { return density }
	for _, i := range f.hot {
		// Free with free; two hot members once, from the higher number.
		if !w.neighbours(f, f.cell[i], func(j int32) bool {
			if j == i || (f.isHot[j] && j < i) {
				return true
			}
			return w.near(site, stays, f.stay[i], f.stay[j], f.x[i], f.y[i], f.x[j], f.y[j], e0, e1, dens)
		}) {
			return false
		}
		// Free and hot with every taken seat around.
		if !w.neighbours(s, f.cell[i], func(j int32) bool {
			return w.near(site, stays, f.stay[i], s.stay[j], f.x[i], f.y[i], s.x[j], s.y[j], e0, e1, dens)
		}) {
			return false
		}
	}
	// A hot seat with the free people around who are not hot (the hot ones
	// were paired with it above).
	for _, j := range s.hot {
		if !w.neighbours(f, s.cell[j], func(i int32) bool {
			if f.isHot[i] {
				return true
			}
			return w.near(site, stays, f.stay[i], s.stay[j], f.x[i], f.y[i], s.x[j], s.y[j], e0, e1, dens)
		}) {
			return false
		}
	}
	return true
}

// hotSeatedPairs is seatedPairs for the pairs with someone hot.
func (w *worker) hotSeatedPairs(site *agents.Site, stays []agents.Stay, epoch int) bool {
	s := &w.seats
	dens := w.overlapDensity(epoch)
	for _, i := range s.hot {
		if !w.neighbours(s, s.cell[i], func(j int32) bool {
			if j == i || (s.isHot[j] && j < i) {
				return true
			}
			return w.near(site, stays, s.stay[i], s.stay[j], s.x[i], s.y[i], s.x[j], s.y[j], 0, agents.MinutesPerDay, dens)
		}) {
			return false
		}
	}
	return true
}
