package main

import (
	"context"
	"fmt"
	"math"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
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
		r, err := sim.Run(ctx, sc, sim.WithProgress(rp.update))
		rp.finish(err)
		if err != nil {
			return nil, err
		}
		return simSweepRows(r), nil
	}
}

// simSweepRows turns a run's arm totals into sweep rows.
func simSweepRows(r *sim.Result) []sweeprun.Row {
	rows := make([]sweeprun.Row, 0, len(r.Arms))
	for _, a := range r.Arms {
		rows = append(rows, sweeprun.Row{Group: a.Name, Metrics: []sweeprun.Metric{
			{Name: "adoption", Value: a.Adoption},
			{Name: "index_cases", Value: float64(a.IndexCases)},
			{Name: "uploads", Value: float64(a.Uploads)},
			{Name: "close_contacts", Value: float64(a.CloseContacts)},
			{Name: "app_close_contacts", Value: float64(a.AppCloseContacts)},
			{Name: "tp", Value: float64(a.TP)},
			{Name: "fp", Value: float64(a.FP)},
			{Name: "fn", Value: float64(a.FN)},
			{Name: "tn", Value: float64(a.TN)},
			{Name: "notifications", Value: float64(a.Notifications)},
			// People notified per index case: the load on people and on
			// contact tracers that an adoption level brings (undefined
			// without index cases).
			{Name: "notifications_per_index", Value: perIndex(a.Notifications, a.IndexCases)},
			{Name: "precision", Value: a.Precision},
			{Name: "recall", Value: a.Recall},
			{Name: "capture", Value: a.Capture},
			{Name: "coverage", Value: a.Coverage},
			{Name: "false_positive_rate", Value: a.FalsePositiveRate},
			{Name: "sightings", Value: float64(a.Sightings)},
			{Name: "matched_sightings", Value: float64(a.MatchedSightings)},
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
