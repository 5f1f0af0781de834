package epidemic

import (
	"cmp"
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
// Merge and draws the day's infections with Resolve. It holds one 16-byte
// slot per distinct pair (an open-addressing table, at most half full), not
// one per contact; the table is a per-day scratch, sorted before use, so
// its layout never reaches a result.
type Exposures struct {
	keys  []uint64 // target<<32 | source; emptyKey when free
	doses []uint64 // in 1/doseQuantum dose-minutes
	n     int
	shift uint8
	bad   int // Adds with a negative agent number
}

const emptyKey = ^uint64(0)

type exposure struct {
	source, target int32
	dose           uint64
}

// Add adds dose (a Model.Dose) from source to target. Non-positive or
// non-finite doses are ignored; negative agent numbers make the next
// Resolve fail.
func (e *Exposures) Add(source, target int32, dose float64) {
	if !(dose > 0) || dose > 1e9 {
		return
	}
	if source < 0 || target < 0 {
		e.bad++
		return
	}
	e.add(uint64(uint32(target))<<32|uint64(uint32(source)), uint64(dose*doseQuantum+0.5))
}

func (e *Exposures) add(k, dose uint64) {
	if 2*(e.n+1) > len(e.keys) {
		e.grow()
	}
	mask := uint64(len(e.keys) - 1)
	for i := (k * 0x9e3779b97f4a7c15) >> e.shift; ; i = (i + 1) & mask {
		switch e.keys[i] {
		case k:
			e.doses[i] += dose
			return
		case emptyKey:
			e.keys[i], e.doses[i] = k, dose
			e.n++
			return
		}
	}
}

func (e *Exposures) grow() {
	oldK, oldD := e.keys, e.doses
	size := max(1024, 2*len(oldK))
	e.keys, e.doses, e.n = make([]uint64, size), make([]uint64, size), 0
	for i := range e.keys {
		e.keys[i] = emptyKey
	}
	e.shift = uint8(64 - bitsLen(size-1))
	for i, k := range oldK {
		if k != emptyKey {
			e.add(k, oldD[i])
		}
	}
}

func bitsLen(x int) int {
	n := 0
	for x > 0 {
		n++
		x >>= 1
	}
	return n
}

// Merge adds every dose of o into e and empties o.
func (e *Exposures) Merge(o *Exposures) {
	for i, k := range o.keys {
		if k != emptyKey {
			e.add(k, o.doses[i])
		}
	}
	e.bad += o.bad
	o.Reset()
}

// Reset empties the accumulator, keeping its table.
func (e *Exposures) Reset() {
	if e.n > 0 {
		for i := range e.keys {
			e.keys[i] = emptyKey
		}
	}
	e.n, e.bad = 0, 0
}

// Len is the number of distinct pairs accumulated.
func (e *Exposures) Len() int { return e.n }

// sorted returns the pairs sorted by (target, source).
func (e *Exposures) sorted() []exposure {
	out := make([]exposure, 0, e.n)
	for i, k := range e.keys {
		if k != emptyKey {
			out = append(out, exposure{int32(uint32(k)), int32(k >> 32), e.doses[i]})
		}
	}
	slices.SortFunc(out, func(a, b exposure) int {
		if a.target != b.target {
			return cmp.Compare(a.target, b.target)
		}
		return cmp.Compare(a.source, b.source)
	})
	return out
}

// PairDose is one pair's summed dose on a day.
type PairDose struct {
	Source, Target int32
	Dose           float64
}

// Pairs returns the accumulated doses per pair, sorted by (target,
// source).
func (e *Exposures) Pairs() []PairDose {
	items := e.sorted()
	out := make([]PairDose, len(items))
	for i, it := range items {
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
	if e.bad > 0 {
		n := e.bad
		e.Reset()
		return nil, fmt.Errorf("epidemic: %d exposures with a negative agent number", n)
	}
	items := e.sorted()
	defer e.Reset()
	var out []Link
	m := pop.m
	n := int32(len(pop.courses))
	for i := 0; i < len(items); {
		tgt := items[i].target
		j := i
		for j < len(items) && items[j].target == tgt {
			j++
		}
		if tgt < 0 || tgt >= n {
			return out, fmt.Errorf("epidemic: exposure target %d out of range", tgt)
		}
		if pop.courses[tgt].Day == NotInfected {
			best, bestR := int32(-1), math.Inf(1)
			for _, it := range items[i:j] {
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
