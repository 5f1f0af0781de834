package epidemic

import (
	"fmt"
	"math"
	"slices"
)

// doseQuantum is the fixed-point unit of accumulated doses: 2^-24
// dose-minutes. Doses are summed as integers so that the sum, and so every
// infection draw, does not depend on the order contacts are added or on how
// workers' accumulators are merged (float addition is not associative).
const doseQuantum = 1 << 24

// Exposures accumulates one day's doses per (source, target) pair. The
// engine keeps one per worker, calls Add for every epoch in which an
// infectious person (Population.CanTransmit) is near a susceptible one
// (Population.Susceptible), and at the end of the day merges them with
// Merge and draws the day's infections with Resolve. Memory stays within
// about twice the number of distinct pairs: the buffer compacts itself
// (sorts and merges duplicates) when it doubles.
type Exposures struct {
	items   []exposure
	compact int // length after the last compaction
}

type exposure struct {
	source, target int32
	dose           uint64 // in 1/doseQuantum dose-minutes
}

// Add adds dose (a Model.Dose) from source to target. Non-positive or
// non-finite doses are ignored.
func (e *Exposures) Add(source, target int32, dose float64) {
	if !(dose > 0) || dose > 1e9 {
		return
	}
	e.items = append(e.items, exposure{source, target, uint64(dose*doseQuantum + 0.5)})
	if len(e.items) >= 1024 && len(e.items) >= 2*e.compact {
		e.compactItems()
	}
}

// Merge adds every dose of o into e and empties o.
func (e *Exposures) Merge(o *Exposures) {
	e.items = append(e.items, o.items...)
	o.Reset()
}

// Reset empties the accumulator, keeping its buffer.
func (e *Exposures) Reset() { e.items, e.compact = e.items[:0], 0 }

// Len is the number of buffered entries (pairs, once compacted).
func (e *Exposures) Len() int { return len(e.items) }

func (e *Exposures) compactItems() {
	slices.SortFunc(e.items, func(a, b exposure) int {
		if a.target != b.target {
			return int(a.target) - int(b.target)
		}
		return int(a.source) - int(b.source)
	})
	out := e.items[:0]
	for _, it := range e.items {
		if n := len(out); n > 0 && out[n-1].target == it.target && out[n-1].source == it.source {
			out[n-1].dose += it.dose
			continue
		}
		out = append(out, it)
	}
	e.items = out
	e.compact = len(out)
}

// PairDose is one pair's summed dose on a day.
type PairDose struct {
	Source, Target int32
	Dose           float64
}

// Pairs returns the accumulated doses per pair, sorted by (target,
// source).
func (e *Exposures) Pairs() []PairDose {
	e.compactItems()
	out := make([]PairDose, len(e.items))
	for i, it := range e.items {
		out[i] = PairDose{it.source, it.target, float64(it.dose) / doseQuantum}
	}
	return out
}

// Resolve draws the day's infections from the accumulated doses, infects
// the people infected (Population.Infect, on day), empties the
// accumulator and returns the new infections sorted by infectee.
//
// For each target still susceptible, each source's pair draw is made
// (Model.Transmits with PInfect(dose, source's infectiousness on day));
// the target is infected if any succeeds, so P = 1 − Π(1 − p_i). The
// infector is the successful source with the smallest u/p_i (a race in
// which each success is equally likely to come first), so attribution does
// not favour low agent numbers. Every draw is keyed by (source, target,
// day), so the result does not depend on the order doses were added.
func (e *Exposures) Resolve(pop *Population, day int32) ([]Link, error) {
	e.compactItems()
	defer e.Reset()
	var out []Link
	m := pop.m
	n := int32(len(pop.courses))
	for i := 0; i < len(e.items); {
		tgt := e.items[i].target
		j := i
		for j < len(e.items) && e.items[j].target == tgt {
			j++
		}
		if tgt < 0 || tgt >= n {
			return out, fmt.Errorf("epidemic: exposure target %d out of range", tgt)
		}
		if pop.courses[tgt].Day == NotInfected {
			best, bestR := int32(-1), math.Inf(1)
			for _, it := range e.items[i:j] {
				if it.source < 0 || it.source >= n {
					return out, fmt.Errorf("epidemic: exposure source %d out of range", it.source)
				}
				p := m.PInfect(float64(it.dose)/doseQuantum, pop.Infectiousness(it.source, day))
				if p <= 0 {
					continue
				}
				if u := m.transmitU(it.source, tgt, day); u < p {
					if r := u / p; r < bestR {
						best, bestR = it.source, r
					}
				}
			}
			if best >= 0 {
				if err := pop.Infect(tgt, day, best); err != nil {
					return out, err
				}
				out = append(out, Link{Infector: best, Infectee: tgt, Day: day})
			}
		}
		i = j
	}
	return out, nil
}
