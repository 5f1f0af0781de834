package privacy

import (
	"cmp"
	"math"
	"slices"

	"github.com/bluesim/bluesim/tracing"
)

// edge is where an ID begins (or ends) at one sniffer: the first sighting
// of its first visit there (the last of its last visit), with the mean
// RSSI of that visit's first (last) EdgeSamples sightings.
type edge struct {
	sniffer uint32
	t       int64 // ms since the log's base
	rssi    float32
}

// candidate is a possible bridge from entry from to entry to.
type candidate struct {
	from, to uint32
	shared   uint32  // sniffers around the switch that heard both
	gap      int64   // ms from from's last sighting to to's first (>= 0)
	rssi     float32 // mean edge RSSI difference, dB
	cost     float64
}

// candidates lists, for every ID that stops, the Candidates cheapest IDs
// that start right after it near the same sniffers, sorted cheapest
// first (ties by entry), for the greedy assignment of Link.
//
// An ID's end is its last sighting anywhere, T_a; the sniffers around it
// are those whose last sighting of the ID is at most MaxGapS before T_a.
// Symmetrically for a start T_b. A candidate b starts within MaxGapS of
// T_a (or in the same window), across a rotation instant when
// AlignedRotation, and shares at least one sniffer with a. Its RSSI
// discrepancy is the mean, over the union of both sets of sniffers, of
// the edge RSSI difference at a sniffer that heard both and of
// MaxRSSIDeltaDB at one that heard only one of them (a phone that did not
// move is heard by the same sniffers, equally strongly, before and after
// its switch). It must not exceed MaxRSSIDeltaDB. The cost adds the gap
// in units of MaxGapS.
func candidates(log *Log, off, pos []uint32, windows []int64, info tracing.Info, lp LinkParams) []candidate {
	if info.Rotation <= 0 {
		return nil
	}
	ne := log.Entries()
	gapMs, maxGap := msOf(lp.VisitGapS), msOf(lp.MaxGapS)
	var w int64
	for _, x := range windows {
		w = max(w, x)
	}

	// Per entry, its start and end edges by sniffer, and its global first
	// and last sightings.
	startOff, endOff := make([]uint32, ne+1), make([]uint32, ne+1)
	var starts, ends []edge
	first, last := make([]int64, ne), make([]int64, ne)
	for k := range ne {
		recs := pos[off[k]:off[k+1]]
		first[k], last[k] = math.MaxInt64, math.MinInt64
		for i := 0; i < len(recs); {
			s := log.snifferOf(int(recs[i]))
			j := i + 1
			for j < len(recs) && recs[j] < log.snOff[s+1] {
				j++
			}
			at := recs[i:j]
			// The first visit ends at the first gap, the last starts after
			// the last one.
			fe, ls := len(at), 0
			for m := 1; m < len(at); m++ {
				if int64(log.t[at[m]])-int64(log.t[at[m-1]]) > gapMs {
					fe = min(fe, m)
					ls = m
				}
			}
			in, out := edgeRSSI(log, at[:fe], lp.EdgeSamples, false), edgeRSSI(log, at[ls:], lp.EdgeSamples, true)
			starts = append(starts, edge{uint32(s), int64(log.t[at[0]]), in})
			ends = append(ends, edge{uint32(s), int64(log.t[at[len(at)-1]]), out})
			first[k], last[k] = min(first[k], int64(log.t[at[0]])), max(last[k], int64(log.t[at[len(at)-1]]))
			i = j
		}
		startOff[k+1], endOff[k+1] = uint32(len(starts)), uint32(len(ends))
	}
	// The start edges near their ID's first sighting, by (sniffer, time).
	type startRef struct {
		sniffer uint32
		t       int64
		entry   uint32
	}
	var idx []startRef
	for k := range ne {
		for _, e := range starts[startOff[k]:startOff[k+1]] {
			if e.t <= first[k]+maxGap {
				idx = append(idx, startRef{e.sniffer, e.t, uint32(k)})
			}
		}
	}
	slices.SortFunc(idx, func(a, b startRef) int {
		return cmp.Or(cmp.Compare(a.sniffer, b.sniffer), cmp.Compare(a.t, b.t), cmp.Compare(a.entry, b.entry))
	})

	rot := info.Rotation.Milliseconds()
	aligned := lp.AlignedRotation && rot > 0
	var out, best []candidate
	var bs []uint32
	for a := range ne {
		ta := last[a]
		// The rotation instant a switch at ta crosses: the first multiple
		// of the period after a's last window began.
		boundary := (floorDiv(log.base+ta, max(rot, 1))+1)*max(rot, 1) - log.base
		bs = bs[:0]
		for _, e := range ends[endOff[a]:endOff[a+1]] {
			if e.t < ta-maxGap {
				continue
			}
			lo, _ := slices.BinarySearchFunc(idx, startRef{e.sniffer, ta - w, 0}, func(x, y startRef) int {
				return cmp.Or(cmp.Compare(x.sniffer, y.sniffer), cmp.Compare(x.t, y.t))
			})
			for _, r := range idx[lo:] {
				if r.sniffer != e.sniffer || r.t > ta+2*maxGap {
					break
				}
				b := r.entry
				tb := first[b]
				if int(b) == a || tb < ta-w || tb-ta > maxGap || aligned && boundary >= tb+w {
					continue
				}
				bs = append(bs, b)
			}
		}
		slices.Sort(bs)
		bs = slices.Compact(bs)
		best = best[:0]
		for _, b := range bs {
			ea, eb := ends[endOff[a]:endOff[a+1]], starts[startOff[b]:startOff[b+1]]
			var shared, one int
			var sum float64
			for len(ea) > 0 || len(eb) > 0 {
				switch {
				case len(ea) > 0 && ea[0].t < ta-maxGap:
					ea = ea[1:]
				case len(eb) > 0 && eb[0].t > first[b]+maxGap:
					eb = eb[1:]
				case len(ea) > 0 && len(eb) > 0 && ea[0].sniffer == eb[0].sniffer:
					sum += math.Abs(float64(ea[0].rssi - eb[0].rssi))
					shared++
					ea, eb = ea[1:], eb[1:]
				case len(eb) == 0 || len(ea) > 0 && ea[0].sniffer < eb[0].sniffer:
					one++
					ea = ea[1:]
				default:
					one++
					eb = eb[1:]
				}
			}
			if shared == 0 {
				continue
			}
			d := (sum + float64(one)*lp.MaxRSSIDeltaDB) / float64(shared+one)
			if d > lp.MaxRSSIDeltaDB {
				continue
			}
			c := candidate{from: uint32(a), to: b, shared: uint32(shared), gap: max(0, first[b]-ta), rssi: float32(d)}
			c.cost = d/lp.MaxRSSIDeltaDB + float64(c.gap)/float64(maxGap)
			best = insertBest(best, c, lp.Candidates)
		}
		out = append(out, best...)
	}
	slices.SortFunc(out, func(x, y candidate) int {
		return cmp.Or(cmp.Compare(x.cost, y.cost), cmp.Compare(x.from, y.from), cmp.Compare(x.to, y.to))
	})
	return out
}

// edgeRSSI is the mean RSSI of the first (or, fromEnd, the last) n of
// recs.
func edgeRSSI(log *Log, recs []uint32, n int, fromEnd bool) float32 {
	n = min(n, len(recs))
	var sum float64
	for m := range n {
		i := m
		if fromEnd {
			i = len(recs) - 1 - m
		}
		sum += float64(log.rssi[recs[i]])
	}
	return float32(sum / float64(n))
}

// insertBest keeps the n cheapest candidates in best, in order.
func insertBest(best []candidate, c candidate, n int) []candidate {
	i, _ := slices.BinarySearchFunc(best, c, func(x, c candidate) int {
		return cmp.Or(cmp.Compare(x.cost, c.cost), cmp.Compare(x.to, c.to))
	})
	if i >= n {
		return best
	}
	if len(best) < n {
		best = append(best, candidate{})
	}
	copy(best[i+1:], best[i:])
	best[i] = c
	return best
}
