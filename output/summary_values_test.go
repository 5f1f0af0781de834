package output

import (
	"math"
	"testing"

	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
)

// nearNaN compares two numbers, NaN equal to NaN; a NaN on one side only is
// a difference (a plain |a-b| > tol is false for NaN and would pass).
func nearNaN(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-12
}

// TestArmNumbers recomputes an arm's summary numbers from its counts by
// their definitions (README, summary.json keys): precision TP/(TP+FP),
// recall and coverage TP/(TP+FN), false-positive rate FP/(FP+TN), capture
// app TP/(app TP + app FN) summed over the arm's venue rows (each contact
// has exactly one venue), and the pairwise coverage capture × adoption^k
// (k = 2, or 1 when index cases are app users). Without a venue breakdown,
// capture comes from the engine's. Each share's interval (from the arm's
// index cases) holds the share and stays in [0, 1]; with fewer index cases
// than stats.MinIndexCases the share is undefined and says why.
func TestArmNumbers(t *testing.T) {
	a := sim.ArmSummary{Name: "gaen-50", Protocol: "gaen", Adoption: 0.5, AppCloseContacts: 40,
		Counts: sim.Counts{TP: 30, FP: 10, FN: 20, TN: 40}, Capture: 0.6}
	// Twelve index cases whose verdicts add up to the arm's counts.
	var cases []sim.IndexCase
	for i := range 12 {
		c := sim.IndexCase{Arm: 0, Person: int32(i), TP: 2, FN: 1, AppFN: 1, AppTP: 1}
		if i < 6 {
			c.TP, c.AppTP = 3, 2
		}
		if i < 8 {
			c.FN = 2
		}
		if i < 10 {
			c.FP, c.TN = 1, 4
		}
		cases = append(cases, c)
	}
	r := &sim.Result{Agents: 4, Arms: []sim.ArmSummary{a}, IndexCases: cases, Bands: []sim.BandRow{
		{Arm: "gaen-50", Dimension: "venue", Band: "home", AppTP: 12, AppFN: 3},
		{Arm: "gaen-50", Dimension: "venue", Band: "school", AppTP: 6, AppFN: 9},
		{Arm: "gaen-50", Dimension: "distance", Band: "<1m", AppTP: 100, AppFN: 100}, // another breakdown of the same contacts
		{Arm: "other", Dimension: "venue", Band: "home", AppTP: 50, AppFN: 1},
	}}
	check := func(name string, s ArmSummary, o Options, appTP, appN int64) {
		t.Helper()
		k := 2.0
		if o.DiagnosedAmong == AmongAppUsers {
			k = 1
		}
		// The expectations are divisions written out, not Ratio: a test
		// that computes its answer with the code under test cannot fail.
		capture := float64(appTP) / float64(appN)
		want := map[string][2]float64{
			"precision":           {float64(s.Precision), 0.75},
			"recall":              {float64(s.Recall), 0.6},
			"coverage":            {float64(s.Coverage), 0.6},
			"false_positive_rate": {float64(s.FalsePositiveRate), 0.2},
			"capture":             {float64(s.Capture), capture},
			"pairwise_coverage":   {float64(s.PairwiseCoverage), capture * math.Pow(0.5, k)},
		}
		for key, v := range want {
			if !nearNaN(v[0], v[1]) {
				t.Errorf("%s: %s = %v, want %v", name, key, v[0], v[1])
			}
		}
		for _, iv := range []struct {
			key       string
			v, lo, hi Num
		}{
			{"precision", s.Precision, s.PrecisionCILow, s.PrecisionCIHigh},
			{"coverage", s.Coverage, s.CoverageCILow, s.CoverageCIHigh},
			{"capture", s.Capture, s.CaptureCILow, s.CaptureCIHigh},
			{"false_positive_rate", s.FalsePositiveRate, s.FalsePositiveRateCILow, s.FalsePositiveRateCIHigh},
		} {
			if !(0 <= iv.lo && iv.lo < iv.hi && iv.hi <= 1) {
				t.Errorf("%s: %s interval [%v, %v] is not a proper part of [0, 1]", name, iv.key, iv.lo, iv.hi)
			}
			if !(iv.lo <= iv.v && iv.v <= iv.hi) {
				t.Errorf("%s: %s = %v outside its interval [%v, %v]", name, iv.key, iv.v, iv.lo, iv.hi)
			}
		}
		if len(s.Unestimable) != 0 {
			t.Errorf("%s: unestimable %v with 12 index cases", name, s.Unestimable)
		}
	}
	check("venue rows", Arm(r, a, Options{}), Options{}, 18, 30)
	o := Options{DiagnosedAmong: AmongAppUsers}
	check("app users", Arm(r, a, o), o, 18, 30)
	// No breakdown: the engine's capture over its app close contacts.
	check("no bands", Arm(&sim.Result{Arms: r.Arms, IndexCases: cases}, a, Options{}), Options{}, 24, 40)
	// Too few index cases: every share is undefined, with a reason.
	few := Arm(&sim.Result{Arms: r.Arms, IndexCases: cases[:stats.MinIndexCases-1]}, a, Options{})
	for key, v := range map[string]Num{"precision": few.Precision, "coverage": few.Coverage, "capture": few.Capture,
		"false_positive_rate": few.FalsePositiveRate, "precision_ci_low": few.PrecisionCILow, "coverage_ci_high": few.CoverageCIHigh} {
		if !math.IsNaN(float64(v)) {
			t.Errorf("%d index cases: %s = %v, want NaN", stats.MinIndexCases-1, key, v)
		}
	}
	if few.Unestimable["coverage"] == "" || few.Unestimable["precision"] == "" {
		t.Errorf("%d index cases: no reason given: %v", stats.MinIndexCases-1, few.Unestimable)
	}
	// Nothing to divide: undefined ratios and intervals are NaN.
	z := Arm(&sim.Result{}, sim.ArmSummary{Name: "none"}, Options{})
	for key, v := range map[string]Num{"precision": z.Precision, "recall": z.Recall, "capture": z.Capture,
		"false_positive_rate": z.FalsePositiveRate, "precision_ci_low": z.PrecisionCILow, "coverage_ci_high": z.CoverageCIHigh} {
		if !math.IsNaN(float64(v)) {
			t.Errorf("no counts: %s = %v, want NaN", key, v)
		}
	}
}

// TestSummaryStartAndBytes: the summary's start is the date of day 0, and
// bytes per agent is the peak RSS over the agents (NaN without agents).
func TestSummaryStartAndBytes(t *testing.T) {
	for _, agents := range []int{0, 1, 3} {
		r := &sim.Result{Agents: agents, Daily: []sim.DayRow{
			{Arm: "a", Day: 0, Date: "2020-08-03"}, {Arm: "a", Day: 1, Date: "2020-08-04"},
			{Arm: "b", Day: 0, Date: "2020-08-03"}, {Arm: "b", Day: 1, Date: "2020-08-04"},
		}}
		s := NewSummary(r, Options{})
		if s.Start != "2020-08-03" {
			t.Errorf("start %q, want the date of day 0, 2020-08-03", s.Start)
		}
		want := math.NaN()
		if agents > 0 {
			want = float64(s.PeakRSSBytes) / float64(agents)
		}
		if !nearNaN(float64(s.BytesPerAgent), want) {
			t.Errorf("%d agents, peak %d bytes: bytes per agent %v, want %v", agents, s.PeakRSSBytes, s.BytesPerAgent, want)
		}
	}
}

// TestRatio: k/n, NaN (undefined, null in JSON) when n is 0.
func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		k, n int64
		want float64
	}{
		{1, 1, 1}, {0, 1, 0}, {3, 4, 0.75}, {7, 2, 3.5}, {0, 0, math.NaN()}, {5, 0, math.NaN()},
	} {
		if got := Ratio(tc.k, tc.n); !nearNaN(got, tc.want) {
			t.Errorf("Ratio(%d, %d) = %v, want %v", tc.k, tc.n, got, tc.want)
		}
	}
}
