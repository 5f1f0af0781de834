package sim

import (
	"testing"
)

// TestFalsePositiveBreakdown: the breakdown of false alarms by true
// distance and exposure adds up to each arm's false positives and, band by
// band, to the distance breakdown of Bands; its rows come in numeric band
// order with "none" last.
func TestFalsePositiveBreakdown(t *testing.T) {
	sc := small(600, 4)
	r, _ := run(t, sc, WithWorkers(2))
	byArm := map[string]int64{}
	byDist := map[[2]string]int64{}
	for _, f := range r.FalsePositives {
		if f.FP <= 0 {
			t.Errorf("row %+v: a cell without false alarms is listed", f)
		}
		if (f.DistanceBand == "none") != (f.DurationBand == "none") {
			t.Errorf("row %+v: none in one dimension only", f)
		}
		byArm[f.Arm] += f.FP
		byDist[[2]string{f.Arm, f.DistanceBand}] += f.FP
	}
	total := int64(0)
	for _, a := range r.Arms {
		if byArm[a.Name] != a.FP {
			t.Errorf("arm %s: breakdown holds %d false alarms, the arm %d", a.Name, byArm[a.Name], a.FP)
		}
		total += a.FP
	}
	if total == 0 {
		t.Fatal("no false alarms in the run: the test checks nothing")
	}
	for _, b := range r.Bands {
		if b.Dimension == "distance" && byDist[[2]string{b.Arm, b.Band}] != b.FP {
			t.Errorf("arm %s band %s: breakdown %d, bands table %d", b.Arm, b.Band, byDist[[2]string{b.Arm, b.Band}], b.FP)
		}
	}
	// Numeric order: a 1-2m row never after a 2-3m row of the same arm.
	order := map[string]int{"<1m": 0, "1-2m": 1, "2-3m": 2, "3-5m": 3, ">=5m": 4, "none": 5}
	for i := 1; i < len(r.FalsePositives); i++ {
		a, b := r.FalsePositives[i-1], r.FalsePositives[i]
		if a.Arm == b.Arm && order[a.DistanceBand] > order[b.DistanceBand] {
			t.Errorf("rows out of order: %+v before %+v", a, b)
		}
	}
}
