package main

import (
	"context"
	"fmt"
	"math"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
	"github.com/bluesim/bluesim/sweeprun"
)

func init() { sweepRunner = simSweepRunner }

// simSweepRunner runs the simulator on each sweep task, with a progress bar
// (or plain lines) per task, and returns one row per protocol arm with the
// arm's totals: the counts against ground truth and the rates a
// policymaker reads (coverage, capture, precision).
func simSweepRunner(prog *progress) sweeprun.RunFunc {
	return func(ctx context.Context, sc scenarios.Scenario) ([]sweeprun.Row, error) {
		label := "run"
		if t, ok := sweeprun.TaskFromContext(ctx); ok {
			label = fmt.Sprintf("task %d", t.Index)
		}
		rp := prog.startRun(label, sc.Days)
		simulationGC()
		r, err := sim.Run(ctx, sc, sim.WithProgress(rp.update))
		rp.finish(err)
		if err != nil {
			return nil, err
		}
		return simSweepRows(r), nil
	}
}

// simSweepRows turns a run's arm totals into sweep rows: the counts, and
// the shares exactly as the run's summary.json gives them (undefined, NaN,
// where the run is too small to estimate them; the sweep summary then
// leaves that replicate out).
func simSweepRows(r *sim.Result) []sweeprun.Row {
	rows := make([]sweeprun.Row, 0, len(r.Arms))
	count := func(name string, x int64) sweeprun.Metric {
		return sweeprun.Metric{Name: name, Value: float64(x), Scale: stats.ScaleCount}
	}
	share := func(name string, x output.Num) sweeprun.Metric {
		return sweeprun.Metric{Name: name, Value: float64(x), Scale: stats.ScaleShare}
	}
	for _, a := range r.Arms {
		s := output.Arm(r, a, output.Options{})
		rows = append(rows, sweeprun.Row{Group: a.Name, Metrics: []sweeprun.Metric{
			{Name: "adoption", Value: a.Adoption, Scale: stats.ScaleShare},
			count("index_cases", a.IndexCases),
			count("uploads", a.Uploads),
			count("close_contacts", a.CloseContacts),
			count("app_close_contacts", a.AppCloseContacts),
			count("tp", a.TP),
			count("fp", a.FP),
			count("fn", a.FN),
			count("tn", a.TN),
			count("notifications", a.Notifications),
			// People notified per index case: the load on people and on
			// contact tracers that an adoption level brings (undefined
			// without index cases; a rate that cannot be negative).
			{Name: "notifications_per_index", Value: perIndex(a.Notifications, a.IndexCases), Scale: stats.ScaleCount},
			share("precision", s.Precision),
			share("recall", s.Recall),
			share("capture", s.Capture),
			share("coverage", s.Coverage),
			share("false_positive_rate", s.FalsePositiveRate),
			count("sightings", a.Sightings),
			count("matched_sightings", a.MatchedSightings),
		}})
	}
	return rows
}

// perIndex is n per index case, NaN (undefined) without index cases.
func perIndex(n, index int64) float64 {
	if index == 0 {
		return math.NaN()
	}
	return float64(n) / float64(index)
}
