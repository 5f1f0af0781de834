package target

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// interval draws the bootstrap interval of the mean curve's crossing.
//
// When every sample carries its index cases, each draw resamples, in
// every replicate, that replicate's index cases (everyone who was an index
// case at any probed adoption) with replacement, and uses the same
// resampled people at every probed adoption, so that the common random
// numbers that make adoptions comparable are kept. A replicate's share at
// an adoption is then the resampled cases' ΣNum/ΣDen, the mean curve the
// mean over replicates, and the draw's crossing is found on the probed
// points as the estimate is (first adoption meeting the goal, linear
// interpolation from the one before). Otherwise each draw resamples the
// replicates themselves, jointly across adoptions; that needs at least
// MinReplicateDraws replicates.
//
// The interval is the draws' percentile interval at the confidence
// level; its upper end is NaN when more draws than the upper tail holds
// do not meet the goal below Max.
func (s *searcher) interval(out *Outcome) {
	x := &out.Mean
	if !x.Found {
		return
	}
	ps := s.sorted()
	cases := true
	for _, p := range ps {
		for _, smp := range p.Samples[:s.reps] {
			if smp.Cases == nil {
				cases = false
			}
		}
	}
	draws := s.c.Draws
	if draws == 0 {
		draws = DefaultDraws
	}
	rng := rand.New(rand.NewPCG(s.c.Seed, 0x63726f7373696e67)) // "crossing"
	var draw func(means []float64)
	if cases {
		x.Method = MethodCases
		draw = s.caseDraws(ps, rng)
	} else {
		if s.reps < MinReplicateDraws {
			x.Note = fmt.Sprintf("no interval for the crossing: %s has no index cases to resample, and %d replicates "+
				"are too few to resample (need %d)", s.c.Goal.Metric.Name, s.reps, MinReplicateDraws)
			return
		}
		x.Method = MethodReplicates
		draw = s.replicateDraws(ps, rng)
	}
	x.Draws = draws
	means := make([]float64, len(ps))
	at := make([]float64, 0, draws)
	above := 0
	for range draws {
		draw(means)
		a := s.crossingOf(ps, means)
		if math.IsInf(a, 1) {
			above++
		}
		at = append(at, a)
	}
	slices.Sort(at)
	alpha := (1 - s.c.Confidence) / 2
	x.Lo = quantile(at, alpha)
	x.Hi = quantile(at, 1-alpha)
	if math.IsInf(x.Lo, 1) {
		x.Lo = math.NaN()
	}
	if math.IsInf(x.Hi, 1) {
		x.Hi = math.NaN()
		x.Note = fmt.Sprintf("in %.0f %% of the resamples the mean curve does not meet the goal below adoption %.4g "+
			"(the ownership cap): the interval has no upper end", 100*float64(above)/float64(draws), s.c.Max)
	}
	x.AboveMax = float64(above) / float64(draws)
}

// quantile is the q-quantile of sorted xs (the order statistic at
// ceil(q·n)−1, so that the interval holds at least the level asked for).
func quantile(xs []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

// crossingOf returns the crossing of the curve means (one per point of
// ps, in adoption order): 0 when the first point meets the goal, +Inf
// when none does.
func (s *searcher) crossingOf(ps []*Point, means []float64) float64 {
	for i := range ps {
		if s.c.Goal.Met(means[i]) {
			if i == 0 {
				return ps[0].Adoption
			}
			return s.interpolate(means[i-1], means[i], ps[i-1].Adoption, ps[i].Adoption)
		}
	}
	return math.Inf(1)
}

// caseDraws returns a function that fills means with one bootstrap draw
// resampling index cases within each replicate.
func (s *searcher) caseDraws(ps []*Point, rng *rand.Rand) func(means []float64) {
	type part struct {
		who      int // position in the replicate's people
		num, den float64
	}
	R := s.reps
	people := make([]int, R)     // people per replicate
	parts := make([][][]part, R) // replicate -> point -> parts
	for r := range R {
		idx := map[int32]int{}
		parts[r] = make([][]part, len(ps))
		for pi, p := range ps {
			for _, c := range p.Samples[r].Cases {
				w, ok := idx[c.Person]
				if !ok {
					w = len(idx)
					idx[c.Person] = w
				}
				if c.Den > 0 {
					parts[r][pi] = append(parts[r][pi], part{w, float64(c.Num), float64(c.Den)})
				}
			}
		}
		people[r] = len(idx)
	}
	weights := make([][]float64, R)
	for r := range R {
		weights[r] = make([]float64, people[r])
	}
	sums := make([]float64, len(ps))
	counts := make([]int, len(ps))
	return func(means []float64) {
		for r := range R {
			w := weights[r]
			clear(w)
			for range people[r] {
				w[rng.IntN(people[r])]++
			}
		}
		clear(sums)
		clear(counts)
		for r := range R {
			w := weights[r]
			for pi := range ps {
				// A replicate that could not estimate the share at this
				// adoption (too few index cases) stays out of every draw.
				if math.IsNaN(ps[pi].Values[r]) {
					continue
				}
				var num, den float64
				for _, pt := range parts[r][pi] {
					num += w[pt.who] * pt.num
					den += w[pt.who] * pt.den
				}
				if den > 0 {
					sums[pi] += num / den
					counts[pi]++
				}
			}
		}
		for pi := range ps {
			means[pi] = math.NaN()
			if counts[pi] > 0 {
				means[pi] = sums[pi] / float64(counts[pi])
			}
		}
	}
}

// replicateDraws returns a function that fills means with one bootstrap
// draw resampling replicates, the same ones at every point.
func (s *searcher) replicateDraws(ps []*Point, rng *rand.Rand) func(means []float64) {
	R := s.reps
	pick := make([]int, R)
	return func(means []float64) {
		for i := range pick {
			pick[i] = rng.IntN(R)
		}
		for pi, p := range ps {
			var sum float64
			n := 0
			for _, r := range pick {
				if v := p.Values[r]; !math.IsNaN(v) {
					sum += v
					n++
				}
			}
			means[pi] = math.NaN()
			if n > 0 {
				means[pi] = sum / float64(n)
			}
		}
	}
}
