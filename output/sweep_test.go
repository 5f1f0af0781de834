package output

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sweeprun"
)

// lineSummary is a sweeprun summary of one arm at adoption 0.1..0.5 whose
// coverage is 0.1 + (a-0.1) (0.1 at 0.1, 0.5 at 0.5) with an interval of
// ±0.05, capture 0.5 throughout, and precision undefined at one point.
func lineSummary(goals ...string) *sweeprun.Summary {
	s := &sweeprun.Summary{
		Manifest: sweeprun.Manifest{Scenario: "line", ScenarioHash: "h", Points: 5, Replicates: 3, TotalTasks: 15,
			Axes: []sweeprun.AxisInfo{{Path: "arms[*].adoption", Column: "arms_adoption", Numeric: true,
				Values: []string{"0.1", "0.2", "0.3", "0.4", "0.5"}}}},
		Metrics: []string{"adoption", "coverage", "capture", "precision"},
		Method:  "test method",
	}
	for _, g := range goals {
		gg, err := scenarios.ParseGoal(g)
		if err != nil {
			panic(err)
		}
		s.Goals = append(s.Goals, gg)
	}
	for i, a := range []float64{0.5, 0.2, 0.4, 0.1, 0.3} { // out of order: the summary sorts by x
		prec := sweeprun.Estimate{Mean: 0.3, Low: 0.2, High: 0.4}
		if a == 0.3 {
			prec = sweeprun.Estimate{Mean: math.NaN(), Low: math.NaN(), High: math.NaN()}
		}
		s.Rows = append(s.Rows, sweeprun.SummaryRow{Point: i, Values: []string{s.Manifest.Axes[0].Values[int(a*10)-1]},
			Group: "app", N: 3, Metrics: []sweeprun.Estimate{{Mean: a, Low: a, High: a}, {Mean: a, Low: a - 0.05, High: a + 0.05},
				{Mean: 0.5, Low: 0.4, High: 0.6}, prec}})
	}
	return s
}

func near(a Num, b float64) bool { return math.Abs(float64(a)-b) < 1e-9 }

func TestSweepSummaryGoals(t *testing.T) {
	s, err := NewSweepSummary(lineSummary("coverage>=0.25", "coverage>=0.1", "coverage>=0.8", "precision>=0.35", "coverage<=0.2"))
	if err != nil {
		t.Fatal(err)
	}
	if s.X != XAdoption || len(s.Series) != 1 || len(s.Series[0].Points) != 5 || !near(s.Series[0].PairwiseCapture, 0.5) {
		t.Fatalf("summary %+v", s)
	}
	for i, p := range s.Series[0].Points {
		if !near(p.X, 0.1*float64(i+1)) {
			t.Fatalf("points not sorted by x: %v at %d", p.X, i)
		}
	}
	for _, tc := range []struct {
		goal           int
		met, atFirst   bool
		x, xLow, xHigh float64 // NaN: null
	}{
		// Mean 0.25 at a = 0.25; the upper bound (a+0.05) at 0.2, the
		// lower bound (a-0.05) at 0.3.
		{0, true, false, 0.25, 0.2, 0.3},
		// Met at the first point already; the lower bound only at 0.15.
		{1, true, true, 0.1, 0.1, 0.15},
		// Never met; not even the upper bound.
		{2, false, false, math.NaN(), math.NaN(), math.NaN()},
		// Precision never reaches 0.35 on the mean, the upper bound does
		// at the first point, the lower bound never.
		{3, false, false, math.NaN(), 0.1, math.NaN()},
		// A goal to stay under: met at the first point.
		{4, true, true, 0.1, 0.1, 0.1},
	} {
		r := s.Goals[tc.goal].Results[0]
		same := func(a Num, b float64) bool { return math.IsNaN(float64(a)) && math.IsNaN(b) || near(a, b) }
		if r.Met != tc.met || r.AtFirst != tc.atFirst || !same(r.X, tc.x) || !same(r.XLow, tc.xLow) || !same(r.XHigh, tc.xHigh) {
			t.Errorf("goal %s: %+v; want met %v at first %v x %v [%v, %v]", s.Goals[tc.goal].Goal, r, tc.met, tc.atFirst, tc.x, tc.xLow, tc.xHigh)
		}
	}
	if b := s.Goals[2].Results[0].Best; !near(b.X, 0.5) || !near(b.Mean, 0.5) {
		t.Errorf("best point %+v, want adoption 0.5", b)
	}
	js, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadSweepSummary(js)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Goals) != 5 || !math.IsNaN(float64(back.Goals[2].Results[0].X)) {
		t.Errorf("round trip: %+v", back.Goals)
	}
}

// TestWriteSweep: a whole sweep's folder gets summary.json, and a shard's
// is refused.
func TestWriteSweep(t *testing.T) {
	l, err := scenarios.LoadBytes("s.yaml", []byte("name: w\nsweep:\n  replicates: 2\n  axes:\n    arms[*].adoption: [0.2, 0.4]\n  goals: [coverage>=0.1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := l.Plan()
	if err != nil {
		t.Fatal(err)
	}
	run := func(_ context.Context, sc scenarios.Scenario) ([]sweeprun.Row, error) {
		var rows []sweeprun.Row
		for _, a := range sc.Arms {
			rows = append(rows, sweeprun.Row{Group: a.Name, Metrics: []sweeprun.Metric{
				{Name: "adoption", Value: a.Adoption}, {Name: "coverage", Value: a.Adoption / 2 * float64(1+sc.Seed%3) / 2}}})
		}
		return rows, nil
	}
	dir := t.TempDir()
	res, err := sweeprun.Run(context.Background(), plan, run, sweeprun.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sweeprun.WriteShard(dir, plan, sweeprun.Whole, res, true); err != nil {
		t.Fatal(err)
	}
	s, err := WriteSweep(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadSweepSummary(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.OutputHash != s.OutputHash || len(back.Goals) != 1 || len(back.Series) != len(plan.Base.Arms) {
		t.Fatalf("summary.json: %+v", back)
	}
	shard := t.TempDir()
	part, _ := sweeprun.Run(context.Background(), plan, run, sweeprun.Options{Workers: 1, Shard: sweeprun.ShardID{Index: 1, Count: 2}})
	if _, err := sweeprun.WriteShard(shard, plan, sweeprun.ShardID{Index: 1, Count: 2}, part, true); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteSweep(context.Background(), shard, nil); err == nil {
		t.Fatal("a shard's folder got a sweep summary")
	}
}
