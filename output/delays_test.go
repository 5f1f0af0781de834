package output

import (
	"math"
	"testing"

	"github.com/bluesim/bluesim/sim"
)

// TestDelaysTable: the delay table counts every notification, true
// positives and false alarms apart, with a cumulative share of each, and
// marks the censored last bin.
func TestDelaysTable(t *testing.T) {
	r := &sim.Result{Delays: []sim.DelayRow{
		{Arm: "a", Hours: 3, TruePositives: 2, FalseAlarms: 0},
		{Arm: "a", Hours: 10, TruePositives: 1, FalseAlarms: 3},
		{Arm: "a", Hours: 71, TruePositives: 1, FalseAlarms: 1, Censored: true},
		{Arm: "b", Hours: 5, TruePositives: 0, FalseAlarms: 2},
	}}
	tb := delaysTable(r)
	want := [][]any{
		{"a", 3, 0, int64(2), int64(2), int64(0), 2.0 / 8, 2.0 / 4, 0.0},
		{"a", 10, 0, int64(4), int64(1), int64(3), 6.0 / 8, 3.0 / 4, 3.0 / 4},
		{"a", 71, 1, int64(2), int64(1), int64(1), 1.0, 1.0, 1.0},
		{"b", 5, 0, int64(2), int64(0), int64(2), 1.0, math.NaN(), 1.0},
	}
	var names []string
	for _, c := range tb.Columns {
		names = append(names, c.Name)
	}
	wantNames := []string{"arm", "hours", "censored", "notifications", "true_positives", "false_alarms",
		"cumulative_share", "true_positive_cumulative_share", "false_alarm_cumulative_share"}
	if len(names) != len(wantNames) {
		t.Fatalf("columns %v, want %v", names, wantNames)
	}
	for i := range wantNames {
		if names[i] != wantNames[i] {
			t.Fatalf("columns %v, want %v", names, wantNames)
		}
	}
	if len(tb.Rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(tb.Rows), len(want))
	}
	for i, row := range tb.Rows {
		for j, v := range row {
			w := want[i][j]
			if f, ok := w.(float64); ok {
				g := v.(float64)
				if !(math.IsNaN(f) && math.IsNaN(g)) && math.Abs(f-g) > 1e-12 {
					t.Errorf("row %d %s = %v, want %v", i, wantNames[j], g, f)
				}
				continue
			}
			if v != w {
				t.Errorf("row %d %s = %v (%T), want %v (%T)", i, wantNames[j], v, v, w, w)
			}
		}
	}
}
