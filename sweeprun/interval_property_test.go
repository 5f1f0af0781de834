package sweeprun

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/stats"
)

// randomRows is a RunFunc whose metrics are random replicate values of
// every scale, drawn from the task's seed, in the shapes that stress an
// interval: spread shares, shares near 0 and 1, all-zero and all-one
// replicates, undefined (NaN) replicates, counts with zeros and large
// spreads, signed values.
func randomRows(style uint64) RunFunc {
	return func(_ context.Context, sc scenarios.Scenario) ([]Row, error) {
		rng := rand.New(rand.NewPCG(sc.Seed, style))
		pick := func(p float64) bool { return rng.Float64() < p }
		share := func() float64 {
			switch {
			case pick(0.1):
				return math.NaN()
			case pick(0.1):
				return 0
			case pick(0.1):
				return 1
			case pick(0.3):
				return math.Pow(rng.Float64(), 6) // near 0
			case pick(0.3):
				return 1 - math.Pow(rng.Float64(), 6) // near 1
			}
			return rng.Float64()
		}
		count := func() float64 {
			switch {
			case pick(0.15):
				return 0
			case pick(0.1):
				return math.NaN()
			case pick(0.3):
				return math.Floor(1e4 * math.Pow(rng.Float64(), 4))
			}
			return math.Floor(20 * rng.Float64())
		}
		var rows []Row
		for _, a := range sc.Arms {
			// Per arm, a fixed value sometimes, so that replicates agree.
			fixed := pick(0.15)
			s := func(f func() float64) float64 {
				if fixed {
					return 0.25
				}
				return f()
			}
			rows = append(rows, Row{Group: a.Name, Metrics: []Metric{
				{Name: "coverage", Value: s(share), Scale: stats.ScaleShare},
				{Name: "precision", Value: s(share), Scale: stats.ScaleShare},
				{Name: "notifications", Value: s(count), Scale: stats.ScaleCount},
				{Name: "notifications_per_index", Value: s(func() float64 { return count() / 7 }), Scale: stats.ScaleCount},
				{Name: "change", Value: s(func() float64 { return 100 * rng.NormFloat64() }), Scale: stats.ScaleValue},
			}})
		}
		return rows, nil
	}
}

// TestSweepIntervalsInRange is the property the sweep report relies on:
// over many random replicate sets, every interval of every column of the
// sweep summary (sweeprun's own, whatever method it uses) stays within its
// quantity's range (a share in [0, 1], a count at or above 0) and contains
// the mean.
func TestSweepIntervalsInRange(t *testing.T) {
	sets := 60
	if testing.Short() {
		sets = 15
	}
	checked := 0
	for set := range sets {
		reps := 1 + set%7
		plan := testPlan(t, strings.Replace(sweepYAML, "replicates: 3", "replicates: "+strconv.Itoa(reps), 1))
		res, err := Run(context.Background(), plan, randomRows(uint64(set)), Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if _, err := WriteShard(dir, plan, Whole, res, true); err != nil {
			t.Fatal(err)
		}
		f, err := ReadFolder(dir)
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.Summary()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range s.Rows {
			for mi, e := range row.Metrics {
				name := s.Metrics[mi]
				scale := f.data.scale(mi)
				if math.IsNaN(e.Low) != math.IsNaN(e.High) {
					t.Fatalf("set %d point %d %s %s: one bound undefined: %+v", set, row.Point, row.Group, name, e)
				}
				if math.IsNaN(e.Low) {
					continue
				}
				checked++
				lower, upper := math.Inf(-1), math.Inf(1)
				switch scale {
				case stats.ScaleShare:
					lower, upper = 0, 1
				case stats.ScaleCount:
					lower = 0
				}
				if e.Low < lower || e.High > upper || !(e.Low <= e.Mean && e.Mean <= e.High) {
					t.Errorf("set %d (%d replicates) point %d %s %s (%s): interval [%v, %v] around mean %v leaves [%v, %v] or misses the mean",
						set, reps, row.Point, row.Group, name, scale, e.Low, e.High, e.Mean, lower, upper)
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d intervals checked", checked)
	}
}
