package target

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
)

// areaMetrics are the metrics a census run keeps per area (sim.AreaRow),
// computed as the engine computes an arm's (0 when undefined).
var areaMetrics = map[string]func(a *sim.AreaRow) float64{
	"coverage":            func(a *sim.AreaRow) float64 { return share(a.TP, a.TP+a.FN) },
	"recall":              func(a *sim.AreaRow) float64 { return share(a.TP, a.TP+a.FN) },
	"capture":             func(a *sim.AreaRow) float64 { return share(a.AppTP, a.AppCloseContacts) },
	"precision":           func(a *sim.AreaRow) float64 { return share(a.TP, a.TP+a.FP) },
	"false_positive_rate": func(a *sim.AreaRow) float64 { return share(a.FP, a.FP+a.TN) },
}

func share(k, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// CheckAreaGoal reports a goal that cannot be judged per area: the
// epidemic's outcomes are kept per arm only.
func CheckAreaGoal(g Goal) error {
	if _, ok := areaMetrics[g.Metric.Name]; !ok {
		names := slices.Sorted(maps.Keys(areaMetrics))
		return fmt.Errorf("metric %q is not kept per area (per-area metrics: %v)", g.Metric.Name, names)
	}
	return nil
}

// AreaValue reads the metric for one area of a census run: the arm's row
// for the area in r.Areas (verdicts counted where the person concerned
// lives, see sim.AreaRow).
func (m Metric) AreaValue(r *sim.Result, arm, area string) (float64, error) {
	f, ok := areaMetrics[m.Name]
	if !ok {
		return math.NaN(), fmt.Errorf("metric %q is not kept per area", m.Name)
	}
	for i := range r.Areas {
		if a := &r.Areas[i]; a.Arm == arm && a.Area == area {
			return f(a), nil
		}
	}
	return math.NaN(), fmt.Errorf("metric %s: the result has no row for arm %q in area %q", m.Name, arm, area)
}

// AreaSample reads the metric for one area of a census run as Sample
// does for an arm: over the arm's index cases, each restricted to its
// verdicts about people who live in the area (sim.Result.IndexCaseAreas,
// the clusters of tables/by_area's intervals), with every index case's
// part (0 of 0 for one without contacts there) so that the crossing's
// interval resamples the arm's index cases. The value is NaN where fewer
// than stats.MinIndexCases index cases contribute, as in by_area.
func (m Metric) AreaSample(r *sim.Result, arm, area string) (Sample, error) {
	if _, ok := areaMetrics[m.Name]; !ok || m.share == nil {
		return Sample{Value: math.NaN()}, fmt.Errorf("metric %q is not kept per area", m.Name)
	}
	ai := slices.IndexFunc(r.Arms, func(a sim.ArmSummary) bool { return a.Name == arm })
	row := slices.IndexFunc(r.Areas, func(a sim.AreaRow) bool { return a.Arm == arm && a.Area == area })
	if ai < 0 || row < 0 {
		return Sample{Value: math.NaN()}, fmt.Errorf("metric %s: the result has no row for arm %q in area %q", m.Name, arm, area)
	}
	lo, _ := slices.BinarySearchFunc(r.IndexCases, int32(ai), func(c sim.IndexCase, a int32) int { return cmp.Compare(c.Arm, a) })
	cases := r.ArmIndexCases(ai)
	s := Sample{Value: math.NaN(), Cases: make([]Case, len(cases))}
	for i := range cases {
		s.Cases[i].Person = cases[i].Person
	}
	for i := range r.IndexCaseAreas {
		c := &r.IndexCaseAreas[i]
		if int(c.Row) != row {
			continue
		}
		k := int(c.Case) - lo
		if k < 0 || k >= len(cases) {
			return Sample{Value: math.NaN()}, fmt.Errorf("metric %s: area %s's index case %d is not one of arm %s's", m.Name, area, c.Case, arm)
		}
		s.Cases[k].Num, s.Cases[k].Den = c.Share(*m.share)
	}
	var n, d int64
	contributing := 0
	for _, c := range s.Cases {
		if c.Den > 0 {
			n += c.Num
			d += c.Den
			contributing++
		}
	}
	if contributing >= stats.MinIndexCases {
		s.Value = float64(n) / float64(d)
	}
	return s, nil
}

// WithAreaAdoption returns a copy of sc that runs only arm i, with the
// adoption of one area set to a (adoption_by_area) and every other area
// as the arm has it. An install ramp keeps its shape. The result is
// validated like a loaded scenario.
func WithAreaAdoption(sc *scenarios.Scenario, i int, area string, a float64) (scenarios.Scenario, error) {
	if i < 0 || i >= len(sc.Arms) {
		return scenarios.Scenario{}, fmt.Errorf("arm index %d out of range (%d arms)", i, len(sc.Arms))
	}
	out := *sc
	arm := sc.Arms[i]
	by := maps.Clone(arm.AdoptionByArea)
	if by == nil {
		by = map[string]float64{}
	}
	by[area] = a
	arm.AdoptionByArea = by
	out.Arms = []scenarios.Arm{arm}
	if errs := scenarios.Validate(&out); len(errs) > 0 {
		return out, fmt.Errorf("area %s at adoption %v: %w", area, a, errs)
	}
	return out, nil
}

// AreaMaxAdoption is the largest adoption an area allows: its expected
// smartphone ownership (scenarios.AreaInfo), the validator's limit for
// adoption_by_area.
func AreaMaxAdoption(sc *scenarios.Scenario, area string) (float64, error) {
	infos, err := sc.Population.AreaInfos()
	if err != nil {
		return 0, err
	}
	for _, in := range infos {
		if in.Slug == area {
			if !(in.Ownership > 0) {
				return 0, fmt.Errorf("nobody in %s owns a smartphone", area)
			}
			return math.Min(in.Ownership, 1), nil
		}
	}
	return 0, fmt.Errorf("no area %q in population.area %s", area, sc.Population.Area)
}
