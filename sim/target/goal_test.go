package target

import (
	"math"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

func TestParseGoal(t *testing.T) {
	for _, tc := range []struct {
		in     string
		metric string
		op     Op
		value  float64
		err    string
	}{
		{in: "coverage>=0.5", metric: "coverage", op: GE, value: 0.5},
		{in: " capture > 0.25 ", metric: "capture", op: GT, value: 0.25},
		{in: "precision<=0.9", metric: "precision", op: LE, value: 0.9},
		{in: "false_positive_rate<1e-3", metric: "false_positive_rate", op: LT, value: 0.001},
		{in: "recall>=50e-2", metric: "recall", op: GE, value: 0.5},
		{in: "coverage", err: "want METRIC OP VALUE"},
		{in: "coverage=0.5", err: "= alone"},
		{in: "coverage!=0.5", err: "= alone"},
		{in: ">=0.5", err: "no metric"},
		{in: "coverage>=", err: "no value"},
		{in: "coverage>=abc", err: "not a finite number"},
		{in: "coverage>=NaN", err: "not a finite number"},
		{in: "coverage>=inf", err: "not a finite number"},
		{in: "coverage>=0.5<1", err: "not a finite number"},
		{in: "coverage=>0.5", err: "unknown metric"},
		{in: "coverge>=0.5", err: `unknown metric "coverge"`},
		{in: "averted>=0.2", metric: "averted", op: GE, value: 0.2},
		{in: "r_eff<1", metric: "r_eff", op: LT, value: 1},
		{in: "attack_rate<=0.1", metric: "attack_rate", op: LE, value: 0.1},
		{in: strings.Repeat("x", 300), err: "too long"},
	} {
		g, err := ParseGoal(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseGoal(%q) = %v, %v; want an error containing %q", tc.in, g, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseGoal(%q): %v", tc.in, err)
			continue
		}
		if g.Metric.Name != tc.metric || g.Op != tc.op || g.Value != tc.value {
			t.Errorf("ParseGoal(%q) = %s %v %v", tc.in, g.Metric.Name, g.Op, g.Value)
		}
		if back, err := ParseGoal(g.String()); err != nil || back.String() != g.String() {
			t.Errorf("%q does not round-trip through String: %q, %v", tc.in, g.String(), err)
		}
	}
}

func FuzzParseGoal(f *testing.F) {
	for _, s := range []string{"coverage>=0.5", "r_eff<1", "capture > .3", "x<=", "<", ">=>=", "precision<-1e308"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGoal(s)
		if err != nil {
			return
		}
		if !g.Metric.Available() || math.IsNaN(g.Value) || math.IsInf(g.Value, 0) {
			t.Fatalf("ParseGoal(%q) accepted %+v", s, g)
		}
		if _, err := ParseGoal(g.String()); err != nil {
			t.Fatalf("String %q of %q does not parse: %v", g.String(), s, err)
		}
	})
}

func TestMetricValue(t *testing.T) {
	r := &sim.Result{Arms: []sim.ArmSummary{
		{Name: "a", Coverage: 0.1, Capture: 0.2, Precision: 0.3, Recall: 0.1, FalsePositiveRate: 0.05},
		{Name: "b", Coverage: 0.6, Capture: 0.7, Precision: 0.8, Recall: 0.6, FalsePositiveRate: 0.01,
			Epidemic: &sim.ArmEpidemic{Averted: 0.25, REff: 0.9, AttackRate: 0.12}},
	}}
	want := map[string]float64{"coverage": 0.6, "capture": 0.7, "precision": 0.8, "recall": 0.6, "false_positive_rate": 0.01,
		"averted": 0.25, "r_eff": 0.9, "attack_rate": 0.12}
	for _, m := range Metrics() {
		if !m.Available() {
			t.Errorf("%s is not available", m.Name)
			continue
		}
		v, err := m.Value(r, "b")
		if err != nil || v != want[m.Name] {
			t.Errorf("%s = %v, %v; want %v", m.Name, v, err, want[m.Name])
		}
		// Arm a ran without the epidemic layer: its epidemic metrics are
		// an error, never a stand-in value.
		v, err = m.Value(r, "a")
		if m.Epidemic {
			if err == nil || err.Error() != `metric "`+m.Name+`" needs the epidemic layer (set epidemic.enabled: true)` {
				t.Errorf("%s without the layer: %v, %v", m.Name, v, err)
			}
		} else if err != nil {
			t.Errorf("%s of arm a: %v", m.Name, err)
		}
	}
	m, _ := LookupMetric("coverage")
	if _, err := m.Value(r, "c"); err == nil {
		t.Error("no error for a missing arm")
	}
	if _, err := m.Value(nil, "a"); err == nil {
		t.Error("no error for a nil result")
	}
}

func TestCheckGoal(t *testing.T) {
	l, err := scenarios.LoadBuiltin("town")
	if err != nil {
		t.Fatal(err)
	}
	sc := l.Scenario
	sc.Epidemic.Enabled = false
	if err := CheckGoal(mustGoal(t, "coverage>=0.5"), &sc); err != nil {
		t.Errorf("coverage without the epidemic layer: %v", err)
	}
	if err := CheckGoal(mustGoal(t, "r_eff<1"), &sc); err == nil || !strings.Contains(err.Error(), "epidemic.enabled: true") {
		t.Errorf("r_eff without the epidemic layer: %v", err)
	}
	sc.Epidemic.Enabled = true
	if err := CheckGoal(mustGoal(t, "r_eff<1"), &sc); err != nil {
		t.Errorf("r_eff with the epidemic layer: %v", err)
	}
}

func TestScenarioAdoption(t *testing.T) {
	l, err := scenarios.LoadBuiltin("town")
	if err != nil {
		t.Fatal(err)
	}
	sc := &l.Scenario
	max, err := MaxAdoption(sc)
	if err != nil || max <= 0 || max > 1 {
		t.Fatalf("MaxAdoption = %v, %v", max, err)
	}
	i, err := ArmIndex(sc, sc.Arms[len(sc.Arms)-1].Name)
	if err != nil || i != len(sc.Arms)-1 {
		t.Errorf("ArmIndex of the last arm: %d, %v", i, err)
	}
	if i, err := ArmIndex(sc, ""); err != nil || i != 0 {
		t.Errorf("ArmIndex default: %d, %v", i, err)
	}
	if _, err := ArmIndex(sc, "nope"); err == nil || !strings.Contains(err.Error(), sc.Arms[0].Name) {
		t.Errorf("unknown arm: %v", err)
	}
	// The top of the search validates; a hair above it does not.
	got, err := WithAdoption(sc, i, max)
	if err != nil {
		t.Fatalf("at the ownership cap: %v", err)
	}
	if len(got.Arms) != 1 || got.Arms[0].Name != sc.Arms[i].Name || got.Arms[0].Adoption != max {
		t.Errorf("arms %+v", got.Arms)
	}
	if len(sc.Arms) < 2 {
		t.Error("the caller's scenario lost its arms")
	}
	if _, err := WithAdoption(sc, i, max+0.01); err == nil || !strings.Contains(err.Error(), "smartphone") {
		t.Errorf("above the cap: %v", err)
	}
	if _, err := WithAdoption(sc, 99, 0.1); err == nil {
		t.Error("no error for a bad arm index")
	}
	// A ramp keeps its shape.
	ramped := *sc
	ramped.Arms = append([]scenarios.Arm(nil), sc.Arms...)
	ramped.Arms[0].Adoption, ramped.Arms[0].Ramp = 0.4, scenarios.Ramp{From: 0.1, Days: 3}
	got, err = WithAdoption(&ramped, 0, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Arms[0].Ramp; math.Abs(r.From-0.05) > 1e-12 || r.Days != 3 {
		t.Errorf("ramp %+v, want from 0.05 over 3 days", r)
	}
}

// TestMetricSample: a share carries every index case's part, and is
// undefined below stats.MinIndexCases contributing index cases; other
// metrics carry none.
func TestMetricSample(t *testing.T) {
	r := &sim.Result{Arms: []sim.ArmSummary{{Name: "a", Coverage: 0.25}}}
	for p := range int32(12) {
		c := sim.IndexCase{Arm: 0, Person: p}
		if p < 10 {
			c.TP, c.FN = 1, 3
		}
		r.IndexCases = append(r.IndexCases, c)
	}
	cov, _ := LookupMetric("coverage")
	s, err := cov.Sample(r, "a")
	if err != nil || s.Value != 0.25 || len(s.Cases) != 12 || s.Cases[3] != (Case{Person: 3, Num: 1, Den: 4}) {
		t.Fatalf("coverage sample %+v, %v", s, err)
	}
	r.IndexCases[0].TP, r.IndexCases[0].FN = 0, 0 // 9 contributing
	if s, _ := cov.Sample(r, "a"); !math.IsNaN(s.Value) {
		t.Errorf("9 index cases: coverage %v, want undefined", s.Value)
	}
	r.Arms[0].Epidemic = &sim.ArmEpidemic{AttackRate: 0.1}
	ar, _ := LookupMetric("attack_rate")
	if s, err := ar.Sample(r, "a"); err != nil || s.Value != 0.1 || s.Cases != nil {
		t.Errorf("attack_rate sample %+v, %v", s, err)
	}
}
