package output

import "github.com/bluesim/bluesim/sim"

// Estimate is one quantity of a run with its interval, as the run's
// outputs report it.
type Estimate struct {
	// Table is the table the quantity is in (TableArms, TableBands,
	// TableDetection, TableByArea); Arm the arm; Row the breakdown cell
	// ("distance <1m", "area hai-hau"), "" for an arm's total; Quantity
	// its column.
	Table, Arm, Row, Quantity string
	// Value and its interval [Lo, Hi]: NaN when the run is too small to
	// estimate it.
	Value, Lo, Hi float64
}

// Estimates lists every quantity of r that has an interval in the
// outputs, in table order: each arm's coverage, capture, precision and
// false-positive rate (summary.json and the arms table), each breakdown
// cell's recall and capture (detection_by_band) and each distance band's
// detected share (app_detection_by_distance), and for a census
// population each area's coverage, capture and precision (by_area).
// bluesim calibrate checks them against many seeds.
func Estimates(r *sim.Result, o Options) []Estimate {
	var out []Estimate
	for _, s := range ArmSummaries(r, o) {
		for _, q := range []struct {
			name          string
			value, lo, hi Num
		}{
			{"coverage", s.Coverage, s.CoverageCILow, s.CoverageCIHigh},
			{"capture", s.Capture, s.CaptureCILow, s.CaptureCIHigh},
			{"precision", s.Precision, s.PrecisionCILow, s.PrecisionCIHigh},
			{"false_positive_rate", s.FalsePositiveRate, s.FalsePositiveRateCILow, s.FalsePositiveRateCIHigh},
		} {
			out = append(out, Estimate{Table: TableArms, Arm: s.Name, Quantity: q.name,
				Value: float64(q.value), Lo: float64(q.lo), Hi: float64(q.hi)})
		}
	}
	recall, capture := bandEstimates(r)
	for i, b := range r.Bands {
		row := b.Dimension + " " + b.Band
		out = append(out,
			Estimate{Table: TableBands, Arm: b.Arm, Row: row, Quantity: "recall", Value: recall[i].value, Lo: recall[i].lo, Hi: recall[i].hi},
			Estimate{Table: TableBands, Arm: b.Arm, Row: row, Quantity: "capture", Value: capture[i].value, Lo: capture[i].lo, Hi: capture[i].hi})
	}
	share := detectionEstimates(r)
	for i, d := range r.Detection {
		out = append(out, Estimate{Table: TableDetection, Arm: d.Arm, Row: "distance " + d.Band, Quantity: "share",
			Value: share[i].value, Lo: share[i].lo, Hi: share[i].hi})
	}
	for _, a := range Areas(r) {
		row := "area " + a.Area
		out = append(out,
			Estimate{Table: TableByArea, Arm: a.Arm, Row: row, Quantity: "coverage", Value: float64(a.Coverage), Lo: float64(a.CoverageCILow), Hi: float64(a.CoverageCIHigh)},
			Estimate{Table: TableByArea, Arm: a.Arm, Row: row, Quantity: "capture", Value: float64(a.Capture), Lo: float64(a.CaptureCILow), Hi: float64(a.CaptureCIHigh)},
			Estimate{Table: TableByArea, Arm: a.Arm, Row: row, Quantity: "precision", Value: float64(a.Precision), Lo: float64(a.PrecisionCILow), Hi: float64(a.PrecisionCIHigh)})
	}
	return out
}
