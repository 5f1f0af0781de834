package output

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
)

// TestIntervalsFromIndexCases: the arms' intervals come from the index
// cases, hold the estimate, stay in [0, 1], and are wider than a Wilson
// interval that takes every pair as an independent trial.
func TestIntervalsFromIndexCases(t *testing.T) {
	r := outputtest.Result()
	s := NewSummary(r, Options{})
	if s.CIMethod != stats.MethodClusterWilson || s.MinIndexCases != stats.MinIndexCases {
		t.Errorf("ci_method %q, min_index_cases %d", s.CIMethod, s.MinIndexCases)
	}
	for _, a := range s.Arms {
		for _, q := range []struct {
			name      string
			v, lo, hi Num
			k, n      int64
		}{
			{"coverage", a.Coverage, a.CoverageCILow, a.CoverageCIHigh, a.TP, a.TP + a.FN},
			{"precision", a.Precision, a.PrecisionCILow, a.PrecisionCIHigh, a.TP, a.TP + a.FP},
			{"false_positive_rate", a.FalsePositiveRate, a.FalsePositiveRateCILow, a.FalsePositiveRateCIHigh, a.FP, a.FP + a.TN},
		} {
			if _, ok := a.Unestimable[q.name]; ok {
				continue
			}
			v, lo, hi := float64(q.v), float64(q.lo), float64(q.hi)
			if !(0 <= lo && lo <= v && v <= hi && hi <= 1) {
				t.Errorf("%s %s: %v not in [%v, %v] within [0, 1]", a.Name, q.name, v, lo, hi)
			}
			wl, wh := stats.Wilson(q.k, q.n, CILevel)
			if !(hi-lo > wh-wl) {
				t.Errorf("%s %s: interval [%v, %v] no wider than the pairs' Wilson [%v, %v]", a.Name, q.name, lo, hi, wl, wh)
			}
		}
	}
}

// TestTooFewIndexCases: a share with fewer contributing index cases than
// the minimum is null, interval and all, with a reason naming the count,
// the minimum and what to raise; shares that follow it (recall,
// pairwise coverage) go with it.
func TestTooFewIndexCases(t *testing.T) {
	r := outputtest.Result()
	// Keep 4 of arm 0's index cases with close contacts.
	kept := 0
	for i := range r.IndexCases {
		c := &r.IndexCases[i]
		if c.Arm != 0 || c.TP+c.FN == 0 {
			continue
		}
		if kept++; kept > 4 {
			c.TP, c.FN, c.AppTP, c.AppFN = 0, 0, 0, 0
		}
	}
	s := NewSummary(r, Options{})
	a := s.Arms[0]
	why := a.Unestimable["coverage"]
	if !strings.Contains(why, "only 4 index cases with close contacts; need 10: raise population.size or days") {
		t.Fatalf("coverage reason %q", why)
	}
	if !math.IsNaN(float64(a.Coverage)) || !math.IsNaN(float64(a.CoverageCILow)) || !math.IsNaN(float64(a.Recall)) {
		t.Errorf("coverage %v [%v, %v], recall %v: want null", a.Coverage, a.CoverageCILow, a.CoverageCIHigh, a.Recall)
	}
	if a.Unestimable["recall"] != why {
		t.Errorf("recall reason %q", a.Unestimable["recall"])
	}
	b, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Arms []map[string]any `json:"arms"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v.Arms[0]["coverage"] != nil || v.Arms[0]["coverage_ci_low"] != nil {
		t.Errorf("coverage in JSON: %v [%v, ...]", v.Arms[0]["coverage"], v.Arms[0]["coverage_ci_low"])
	}
	if len(s.Arms[3].Unestimable) != 0 {
		t.Errorf("a large arm has unestimable quantities: %v", s.Arms[3].Unestimable)
	}
	// The arms table says the same: an empty cell.
	for _, e := range Estimates(r, Options{}) {
		if e.Table == TableArms && e.Arm == a.Name && e.Quantity == "coverage" && !math.IsNaN(e.Value) {
			t.Errorf("estimate of coverage %v", e.Value)
		}
	}
}

// TestEpidemicTooShort: a run shorter than two generation intervals from
// the seed day reports no r_eff and no share averted, saying why, while
// the counts of what happened stay.
func TestEpidemicTooShort(t *testing.T) {
	r := outputtest.EpidemicResult()
	r.Days = 10 // 2 × 6.4 days need 13
	s := NewSummary(r, Options{})
	e := s.Arms[0].Epidemic
	if !math.IsNaN(float64(e.REff)) || !math.IsNaN(float64(e.Averted)) || e.Infections == 0 {
		t.Fatalf("epidemic %+v: want r_eff and averted null, infections kept", e)
	}
	why := s.Arms[0].Unestimable["epidemic.r_eff"]
	if !strings.Contains(why, "the run lasts 10 days from the seed day; the epidemic needs 13") ||
		!strings.Contains(why, "raise days to at least 13") {
		t.Errorf("reason %q", why)
	}
	if _, ok := s.Epidemic.Unestimable["epidemic.r_eff"]; !ok || !math.IsNaN(float64(s.Epidemic.NoApp.REff)) {
		t.Errorf("no-app run: r_eff %v, unestimable %v", s.Epidemic.NoApp.REff, s.Epidemic.Unestimable)
	}
	if s.Epidemic.DaysNeeded != 13 {
		t.Errorf("days_needed %d", s.Epidemic.DaysNeeded)
	}
	// Long enough, but the finished cohorts hold too few cases.
	r = outputtest.EpidemicResult()
	r.Arms[1].Epidemic.REffCompleteCases = sim.MinREffCases - 1
	s = NewSummary(r, Options{})
	if e := s.Arms[1].Epidemic; !math.IsNaN(float64(e.REff)) || math.IsNaN(float64(e.Averted)) {
		t.Errorf("few finished cases: r_eff %v (want null), averted %v (want a value)", e.REff, e.Averted)
	}
	if why := s.Arms[1].Unestimable["epidemic.r_eff"]; !strings.Contains(why, "only 19 cases in the cohorts that finished being infectious; need 20") {
		t.Errorf("reason %q", why)
	}
	if e := s.Arms[0].Epidemic; float64(e.REff) != 1.5 {
		t.Errorf("arm 0 r_eff %v, want 1.5", e.REff)
	}
}
