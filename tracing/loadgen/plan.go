package loadgen

import (
	"fmt"
	"math"
)

// MinKindRate is the floor, in requests per second over all shards, of
// every request kind the mix has: a kind whose share of the rate falls
// under it is raised to it, so that a scenario's rare kinds (a national
// load's publishes are 2 in a million requests) are tested at any --rate
// instead of never being sent.
const MinKindRate = 1.0

// KindRate is how fast one request kind is sent.
type KindRate struct {
	// Share is the kind's share of the mix's weights.
	Share float64 `json:"share"`
	// Scaled is Share times the total rate asked for: the kind's rate
	// without the floor.
	Scaled float64 `json:"scaled_rate"`
	// Rate is the rate the kind is sent at, over all shards: Scaled, or
	// MinKindRate when Floored, the other kinds sharing what is left of
	// the total in their proportions.
	Rate float64 `json:"rate"`
	// Floored says the kind was raised to MinKindRate.
	Floored bool `json:"floored"`
}

// Plan returns the rate of each kind (indexed by Kind) when rate requests
// per second are sent with the mix's weights: every kind with a weight
// gets at least MinKindRate, and the kinds above the floor share the rest
// of rate in their proportions. The total is rate, or, when rate is under
// MinKindRate times the number of kinds, that floor times the number of
// kinds.
func (m Mix) Plan(rate float64) [numKinds]KindRate {
	w := m.weights()
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	var out [numKinds]KindRate
	if !(sum > 0) || !(rate > 0) || math.IsInf(rate, 0) {
		return out
	}
	for k, x := range w {
		out[k].Share = x / sum
		out[k].Scaled = rate * x / sum
	}
	// Floor the kinds under MinKindRate one round at a time: flooring
	// takes rate from the others, which can push another under it.
	for {
		left, free := rate, 0.0
		for k, x := range w {
			if out[k].Floored {
				left -= MinKindRate
			} else if x > 0 {
				free += x
			}
		}
		changed := false
		for k, x := range w {
			if x == 0 || out[k].Floored {
				continue
			}
			r := max(left, 0) * x / free
			if r < MinKindRate {
				out[k].Floored, out[k].Rate, changed = true, MinKindRate, true
				continue
			}
			out[k].Rate = r
		}
		if !changed {
			return out
		}
	}
}

// planTotal is the total rate of a plan.
func planTotal(p [numKinds]KindRate) float64 {
	t := 0.0
	for _, k := range p {
		t += k.Rate
	}
	return t
}

// scheduler picks the kind of each request. The first requests of a run
// are one of each kind, largest share first, however small a kind's
// share: a short run still tests every endpoint. After them each request
// goes to the kind furthest behind its share of the requests so far (the
// largest i×share − sent, as smooth weighted round robin does), so that
// after any number of requests each kind has had its share to within two
// requests.
type scheduler struct {
	share [numKinds]float64
	sent  [numKinds]float64
	i     float64
}

func newScheduler(p [numKinds]KindRate) *scheduler {
	s := &scheduler{}
	total := planTotal(p)
	for k := range p {
		if total > 0 && p[k].Rate > 0 {
			s.share[k] = p[k].Rate / total
		}
	}
	return s
}

// next returns the kind of the next request.
func (s *scheduler) next() Kind {
	s.i++
	best, bestOwed := Kind(-1), math.Inf(-1)
	for k := range numKinds {
		if s.share[k] == 0 {
			continue
		}
		owed := s.i*s.share[k] - s.sent[k]
		if s.sent[k] == 0 {
			// Not sent yet: before every kind that has been.
			owed = math.MaxFloat64
		}
		// Ties go to the larger share, which falls behind faster.
		if owed > bestOwed || owed == bestOwed && s.share[k] > s.share[best] {
			best, bestOwed = k, owed
		}
	}
	if best < 0 {
		return Index
	}
	s.sent[best]++
	return best
}

// floorNote says which kinds were raised to the floor, or "".
func floorNote(p map[string]*KindRate) string {
	note := ""
	for k := range numKinds {
		kr := p[k.String()]
		if kr == nil || !kr.Floored {
			continue
		}
		if note != "" {
			note += "; "
		}
		note += fmt.Sprintf("%s raised from %.3g/s to the floor of %g/s", k, kr.Scaled, MinKindRate)
	}
	if note != "" {
		note += " (every kind of the mix is sent at least once a second, so that every endpoint is tested)"
	}
	return note
}
