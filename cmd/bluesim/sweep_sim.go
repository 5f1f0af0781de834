package main

import (
	"context"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/scenarios/sweeprun"
	"github.com/bluesim/bluesim/sim"
)

func init() { sweepRunFunc = simSweepRows }

// simSweepRows runs the simulator on one sweep task and returns one row per
// protocol arm with the arm's totals: the counts against ground truth and
// the rates a policymaker reads (coverage, capture, precision).
func simSweepRows(ctx context.Context, sc scenarios.Scenario) ([]sweeprun.Row, error) {
	r, err := sim.Run(ctx, sc)
	if err != nil {
		return nil, err
	}
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
			{Name: "precision", Value: a.Precision},
			{Name: "recall", Value: a.Recall},
			{Name: "capture", Value: a.Capture},
			{Name: "coverage", Value: a.Coverage},
			{Name: "false_positive_rate", Value: a.FalsePositiveRate},
			{Name: "sightings", Value: float64(a.Sightings)},
			{Name: "matched_sightings", Value: float64(a.MatchedSightings)},
		}})
	}
	return rows, nil
}
