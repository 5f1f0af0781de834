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

// TestDelayMedians: summary.json's delay medians are read off the same
// histogram as the table, over every notification and over true positives
// and false alarms apart; a median in the censored last bin is that bin's
// hours, flagged, and the censored share counts every notification there.
func TestDelayMedians(t *testing.T) {
	nan := math.NaN()
	type med struct {
		hours    float64
		censored bool
	}
	for _, tc := range []struct {
		name          string
		rows          []sim.DelayRow
		all, tp, fa   med
		share, cutoff float64
	}{
		{name: "no notifications", all: med{nan, false}, tp: med{nan, false}, fa: med{nan, false}, share: nan, cutoff: nan},
		{name: "medians within the window", rows: []sim.DelayRow{
			{Arm: "a", Hours: 10, TruePositives: 1, FalseAlarms: 3},
			{Arm: "a", Hours: 3, TruePositives: 2},
			{Arm: "a", Hours: 71, TruePositives: 1, FalseAlarms: 1, Censored: true},
			{Arm: "b", Hours: 1, TruePositives: 50},
		}, all: med{11, false}, tp: med{4, false}, fa: med{11, false}, share: 2.0 / 8, cutoff: 71},
		{name: "censored medians", rows: []sim.DelayRow{
			{Arm: "a", Hours: 10, TruePositives: 1},
			{Arm: "a", Hours: 71, TruePositives: 2, FalseAlarms: 1, Censored: true},
		}, all: med{71, true}, tp: med{71, true}, fa: med{71, true}, share: 3.0 / 4, cutoff: 71},
		{name: "true positives only", rows: []sim.DelayRow{
			{Arm: "a", Hours: 0, TruePositives: 1},
			{Arm: "a", Hours: 5, TruePositives: 1},
		}, all: med{1, false}, tp: med{1, false}, fa: med{nan, false}, share: 0, cutoff: nan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &sim.Result{Arms: []sim.ArmSummary{{Name: "a"}}, Delays: tc.rows}
			s := NewSummary(r, Options{})
			a := s.Arms[0]
			for _, c := range []struct {
				what     string
				hours    Num
				censored bool
				want     med
			}{
				{"every notification", a.MedianDelayHours, a.MedianDelayCensored, tc.all},
				{"true positives", a.TruePositiveMedianDelayHours, a.TruePositiveMedianDelayCensored, tc.tp},
				{"false alarms", a.FalseAlarmMedianDelayHours, a.FalseAlarmMedianDelayCensored, tc.fa},
			} {
				if !sameFloat(float64(c.hours), c.want.hours) || c.censored != c.want.censored {
					t.Errorf("%s: median %v h (censored %v), want %v h (censored %v)", c.what, c.hours, c.censored,
						c.want.hours, c.want.censored)
				}
			}
			if !sameFloat(float64(a.CensoredDelayShare), tc.share) {
				t.Errorf("censored share %v, want %v", a.CensoredDelayShare, tc.share)
			}
			if !sameFloat(float64(s.DelayCensoredHours), tc.cutoff) {
				t.Errorf("delay_censored_hours %v, want %v", s.DelayCensoredHours, tc.cutoff)
			}
		})
	}
}

func sameFloat(a, b float64) bool {
	return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-12
}
