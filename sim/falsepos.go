package sim

import (
	"cmp"
	"math"
	"slices"
)

// FalsePositiveRow counts one arm's false alarms (people notified for an
// index case who were not its close contact) in one cell of true distance
// and exposure: what a person looking at a precision of 0.2 needs to see
// to know why.
type FalsePositiveRow struct {
	Arm string `json:"arm"`
	// DistanceBand is the band (scenario metrics.distance_bands_m) of the
	// closest distance the pair came during the index case's window;
	// "none" when they were never within radio range of each other.
	DistanceBand string `json:"distance_band"`
	// DurationBand is the band (metrics.duration_bands_min) of the most
	// minutes the pair spent within radio range of each other on one day:
	// the exposure the phones could hear, at any distance; "none" when
	// never in range.
	DurationBand string `json:"duration_band"`
	FP           int64  `json:"fp"`
}

// fpNone is the band index of a pair never in radio range.
const fpNone = -1

// fpCell is one cell of the false-positive breakdown: arm, distance band,
// duration band (fpNone for none).
type fpCell struct{ arm, dist, dur int }

// countFalsePositive records a false alarm of arm ai for contact c.
func (s *scorer) countFalsePositive(ai int, c *contact) {
	k := fpCell{ai, fpNone, fpNone}
	if c.minDist != math.MaxFloat32 {
		m := &s.e.sc.Metrics
		k.dist = bandOf(m.DistanceBandsM, float64(c.minDist))
		k.dur = bandOf(m.DurationBandsMin, float64(c.worstRange))
	}
	s.fps[ai][k]++
}

// falsePositiveRows lists the breakdown by arm (scenario order), then
// distance band and duration band in numeric order, "none" last; cells
// without false alarms are left out.
func (s *scorer) falsePositiveRows() []FalsePositiveRow {
	e := s.e
	all := map[fpCell]int64{}
	for _, m := range s.fps {
		for k, n := range m {
			all[k] += n
		}
	}
	keys := make([]fpCell, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	last := func(b int) int {
		if b == fpNone {
			return math.MaxInt
		}
		return b
	}
	slices.SortFunc(keys, func(a, b fpCell) int {
		return cmp.Or(cmp.Compare(a.arm, b.arm), cmp.Compare(last(a.dist), last(b.dist)), cmp.Compare(last(a.dur), last(b.dur)))
	})
	m := &e.sc.Metrics
	out := make([]FalsePositiveRow, 0, len(keys))
	for _, k := range keys {
		row := FalsePositiveRow{Arm: e.sc.Arms[k.arm].Name, DistanceBand: "none", DurationBand: "none", FP: all[k]}
		if k.dist != fpNone {
			row.DistanceBand = bandLabel(m.DistanceBandsM, k.dist, "m")
			row.DurationBand = bandLabel(m.DurationBandsMin, k.dur, "min")
		}
		out = append(out, row)
	}
	return out
}
