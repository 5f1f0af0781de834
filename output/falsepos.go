package output

import (
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/table"
)

// TableFalsePositives is the breakdown of false alarms.
const TableFalsePositives = "false_positives"

// falsePositivesTable breaks each arm's false alarms (people notified for
// an index case who were not its close contact) down by the true distance
// band of the pair's closest approach and the band of the most minutes
// they spent within radio range on one day ("none" for pairs never in
// range), with each cell's share of the arm's false alarms: what makes a
// precision of 0.2.
func falsePositivesTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableFalsePositives, Columns: cols(
		"arm", table.String, "distance_band", table.String, "duration_band", table.String,
		"fp", table.Int, "share", table.Float)}
	total := map[string]int64{}
	for _, f := range r.FalsePositives {
		total[f.Arm] += f.FP
	}
	for _, f := range r.FalsePositives {
		t.Rows = append(t.Rows, []any{f.Arm, f.DistanceBand, f.DurationBand, f.FP, Ratio(f.FP, total[f.Arm])})
	}
	return t
}
