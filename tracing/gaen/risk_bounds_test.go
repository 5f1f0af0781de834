package gaen

import (
	"testing"
)

// dayWindow is one window of key on day riskDay+dayOffset with scans at
// the attenuations given (scans, 5 minutes apart from 08:00).
func dayWindow(t *testing.T, key, dayOffset, reportType int, atts ...int) ExposureWindow {
	t.Helper()
	w := scans(t, key, len(atts), atts...)[0]
	w.DateMillis += int64(dayOffset) * 86400_000
	for i := range w.ScanInstances {
		w.ScanInstances[i].Time += int64(dayOffset) * 86400_000
	}
	w.ReportType = reportType
	return w
}

// TestV1RiskScoreEdges: the v1 risk score multiplies the transmission
// risk level's score (levels 1..8 index TransmissionRiskScores; level 0,
// unset, scores 1), and an exposure scoring exactly MinimumRiskScore keeps
// its score while one below gets 0 (protocols.md 2.4, V1Config).
func TestV1RiskScoreEdges(t *testing.T) {
	ones := [8]int{1, 1, 1, 1, 1, 1, 1, 1}
	c := V1Config{AttenuationScores: ones, DaysSinceExposureScores: ones, DurationScores: ones,
		TransmissionRiskScores: [8]int{2, 3, 4, 5, 6, 7, 8, 0}, DurationAtAttenuationThresholds: [2]int{50, 74}}
	for level, want := range map[int]int{0: 1, 1: 2, 2: 3, 7: 8, 8: 0} {
		e := V1Exposure{TransmissionRisk: level, DurationSeconds: 900, AttenuationValue: 40, DaysSinceExposure: 1}
		if got := c.riskScore(&e); got != want {
			t.Errorf("transmission risk level %d: risk score %d, want %d", level, got, want)
		}
	}
	c.TransmissionRiskScores = ones
	c.AttenuationScores = [8]int{3, 3, 3, 3, 3, 3, 3, 3}
	for min, want := range map[int]int{0: 3, 2: 3, 3: 3, 4: 0} {
		c.MinimumRiskScore = min
		e := V1Exposure{TransmissionRisk: 1, DurationSeconds: 900, AttenuationValue: 40}
		if got := c.riskScore(&e); got != want {
			t.Errorf("score 3 against minimum %d: risk score %d, want %d", min, got, want)
		}
	}
}

// TestDailySummaryEdges: a window exactly DaysSinceExposureThreshold days
// old is kept and one a day older dropped, a threshold of 0 keeps every
// window, a window scoring exactly MinimumWindowScore is kept, and each
// report type's maximum is the largest of its windows' scores whatever
// their order.
func TestDailySummaryEdges(t *testing.T) {
	c := v2Test()
	c.DaysSinceExposureThreshold = 3
	c.MinimumWindowScore = 840
	now := riskDay + 3*86400_000 + 1
	// 40 dB is IMMEDIATE (weight 2): two scans are (120 + 300) s × 2 =
	// 840, one is 240; confirmed test weighs 1, standard infectiousness 1.
	ws := []ExposureWindow{
		dayWindow(t, 0, -1, ReportConfirmedTest, 40, 40), // 4 days old: dropped
		dayWindow(t, 1, 0, ReportConfirmedTest, 40, 40),  // 3 days old, scores 840: kept
		dayWindow(t, 2, 0, ReportConfirmedTest, 40),      // 240 < 840: dropped
	}
	days, err := DailySummaries(ws, c, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || days[0].DateMillis != riskDay || days[0].ScoreSum != 840 {
		t.Fatalf("days %+v, want one on day 0 with score 840", days)
	}
	c.DaysSinceExposureThreshold, c.MinimumWindowScore = 0, 0
	old := []ExposureWindow{dayWindow(t, 0, -30, ReportConfirmedTest, 40)}
	if days, err := DailySummaries(old, c, now); err != nil || len(days) != 1 {
		t.Fatalf("threshold 0 and a 33-day-old window: %+v, %v; want it kept", days, err)
	}
	mixed := []ExposureWindow{
		dayWindow(t, 0, 0, ReportConfirmedTest, 40),         // 240
		dayWindow(t, 1, 0, ReportConfirmedTest, 40, 40),     // 840
		dayWindow(t, 2, 0, ReportConfirmedClinical, 40, 40), // 840 × 0.5 = 420
		dayWindow(t, 3, 0, ReportConfirmedTest, 40),         // 240
	}
	days, err = DailySummaries(mixed, c, now)
	if err != nil || len(days) != 1 {
		t.Fatalf("%+v, %v", days, err)
	}
	d := days[0]
	ct, cc := d.ByReportType[ReportConfirmedTest], d.ByReportType[ReportConfirmedClinical]
	if d.MaximumScore != 840 || ct.MaximumScore != 840 || ct.ScoreSum != 1320 || cc.MaximumScore != 420 || cc.ScoreSum != 420 {
		t.Errorf("day %+v: want maximum 840 (confirmed test 840 of 1320, clinical 420 of 420)", d)
	}
}

// TestDecideEdges: the v2 decision is the highest-scoring day (the
// earliest of equals) and never notifies on a score of 0, even with a
// trigger of 0; the v1 risk-score decision never notifies on a risk score
// of 0, even with a minimum of 0.
func TestDecideEdges(t *testing.T) {
	v2 := Config{Name: "t", Model: ModelV2, V2: v2Test(), NotifyScoreSum: 500}
	now := riskDay + 5*86400_000
	for _, tc := range []struct {
		name     string
		ws       []ExposureWindow
		day      int64
		score    float64
		notify   bool
		trigger0 bool
	}{
		{"later day higher", []ExposureWindow{dayWindow(t, 0, 0, ReportConfirmedTest, 40), dayWindow(t, 1, 1, ReportConfirmedTest, 40, 40)}, 1, 840, true, false},
		{"earlier day higher", []ExposureWindow{dayWindow(t, 0, 0, ReportConfirmedTest, 40, 40), dayWindow(t, 1, 1, ReportConfirmedTest, 40)}, 0, 840, true, false},
		{"equal days: the earliest", []ExposureWindow{dayWindow(t, 0, 0, ReportConfirmedTest, 40), dayWindow(t, 1, 2, ReportConfirmedTest, 40)}, 0, 240, false, false},
		// Recursive reports weigh 0 in v2Test: a day scoring 0.
		{"zero score, trigger 0", []ExposureWindow{dayWindow(t, 0, 0, ReportRecursive, 40, 40)}, 0, 0, false, true},
	} {
		c := v2
		if tc.trigger0 {
			c.NotifyScoreSum = 0
		}
		d, err := c.Decide(tc.ws, now)
		if err != nil {
			t.Fatal(err)
		}
		if d.DateMillis != riskDay+tc.day*86400_000 || d.ScoreSum != tc.score || d.Notify != tc.notify {
			t.Errorf("%s: %+v, want day %d, score %v, notify %v", tc.name, d, tc.day, tc.score, tc.notify)
		}
	}
	v1, err := PresetByName("gaen-v1-default")
	if err != nil {
		t.Fatal(err)
	}
	v1.V1.DurationScores = [8]int{}
	v1.V1.MinimumRiskScore = 0
	d, err := v1.Decide([]ExposureWindow{dayWindow(t, 0, 0, ReportConfirmedTest, 40, 40)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.RiskScore != 0 || d.Notify {
		t.Errorf("v1 risk score 0 with minimum 0: %+v, want no notification", d)
	}
}

// TestWindowEdges: a window starts at a scan 30 minutes or more after the
// current window's first scan (GroupWindows), so scans 5 minutes apart
// from 08:00 fill one window up to 08:25 and the 08:30 scan opens the
// next; and a revoked key's window scores 0 even where revoked reports
// were given a weight.
func TestWindowEdges(t *testing.T) {
	if ws := scans(t, 0, 6, 50); len(ws) != 1 || len(ws[0].ScanInstances) != 6 {
		t.Fatalf("08:00-08:25: %d windows, want 1 of 6 scans", len(ws))
	}
	ws := scans(t, 0, 7, 50)
	if len(ws) != 2 || len(ws[0].ScanInstances) != 6 || ws[1].ScanInstances[0].Time != riskDay+8*3600_000+30*60_000 {
		t.Fatalf("08:00-08:30: %d windows %+v, want the 08:30 scan to open a second", len(ws), ws)
	}
	c := v2Test()
	c.ReportTypeWeights[ReportRevoked] = 1
	w := dayWindow(t, 0, 0, ReportRevoked, 40, 40)
	w.HasOnset, w.DaysSinceOnset = true, 0
	if score, wd := c.WindowScore(&w); score != 0 || wd != 840 {
		t.Errorf("revoked window: score %v (weighted duration %v), want 0 (840)", score, wd)
	}
}
