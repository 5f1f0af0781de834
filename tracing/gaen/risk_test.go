package gaen

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

var riskDay = time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// scans builds the windows of n scans of key, 5 minutes apart from
// 08:00, each hearing one advert per attenuation in atts (cycled).
func scans(t *testing.T, key, n int, atts ...int) []ExposureWindow {
	t.Helper()
	var obs []Observation
	for i := range n {
		obs = append(obs, Observation{Key: key, Time: riskDay + 8*3600_000 + int64(i)*300_000, AttenuationDb: atts[i%len(atts)]})
	}
	ws, err := GroupWindows(obs, WindowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestV1Buckets(t *testing.T) {
	for _, tc := range []struct{ in, att, days, dur int }{
		{74, 0, 7, 0}, {73, 1, 7, 0}, {64, 1, 7, 0}, {63, 2, 7, 0}, {52, 2, 7, 0}, {51, 3, 7, 0},
		{34, 3, 7, 0}, {33, 4, 7, 0}, {28, 4, 7, 0}, {27, 5, 7, 0}, {16, 5, 7, 0}, {15, 6, 7, 0},
		{11, 6, 7, 0}, {10, 7, 7, 0}, {0, 7, 7, 0},
	} {
		if got := v1AttenuationBucket(tc.in); got != tc.att {
			t.Errorf("attenuation %d: bucket %d, want %d", tc.in, got, tc.att)
		}
	}
	for d, want := range map[int]int{0: 7, 1: 7, 2: 6, 3: 6, 4: 5, 6: 4, 8: 3, 10: 2, 12: 1, 13: 1, 14: 0, 30: 0} {
		if got := v1DaysBucket(d); got != want {
			t.Errorf("days %d: bucket %d, want %d", d, got, want)
		}
	}
	for s, want := range map[int]int{0: 0, 149: 0, 150: 1, 300: 1, 600: 2, 900: 3, 1200: 4, 1500: 5, 1800: 6, 1949: 6, 1950: 7, 9000: 7} {
		if got := v1DurationBucket(s); got != want {
			t.Errorf("duration %d s: bucket %d, want %d", s, got, want)
		}
	}
}

func TestV1Exposures(t *testing.T) {
	// 4 scans at 45, 60, 80, 45 dB: 120+300+300+300 s.
	ws := scans(t, 0, 4, 45, 60, 80, 45)
	ws[0].TransmissionRisk = 6
	// A second exposure of the same key after a 20-minute gap.
	later := scans(t, 0, 1, 30)
	later[0].ScanInstances[0].Time += 3600_000
	ws = append(ws, later...)
	c := DefaultV1Config()
	c.AttenuationScores = [8]int{1, 2, 3, 4, 5, 6, 7, 8}
	c.DaysSinceExposureScores = [8]int{0, 1, 1, 1, 1, 1, 2, 8}
	c.DurationScores = [8]int{0, 1, 2, 3, 4, 5, 6, 7}
	c.TransmissionRiskScores = [8]int{1, 1, 1, 1, 1, 3, 1, 1}
	c.MinimumRiskScore = 10
	exps, err := V1Exposures(ws, c, riskDay+3*86400_000+5)
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != 2 {
		t.Fatalf("%d exposures, want 2: %+v", len(exps), exps)
	}
	e := exps[0]
	// mean = (45*120 + 60*300 + 80*300 + 45*300) / 1020 = 59.5 -> 60 (bucket 2: >51)
	if e.DurationSeconds != 1020 || e.AttenuationValue != 60 || e.AttenuationDurations != [3]int{420, 300, 300} || e.DaysSinceExposure != 3 {
		t.Errorf("exposure %+v", e)
	}
	// scores: attenuation bucket 2 -> 3; 3 days -> bucket 6 -> 2; 1020 s = 17 min -> 15 -> bucket 3 -> 3; TR 6 -> 3
	if e.RiskScore != 3*2*3*3 {
		t.Errorf("risk score %d, want %d", e.RiskScore, 3*2*3*3)
	}
	// The lone later scan: 120 s (previous scan > 5 min ago gives 300 s:
	// scans() grouped it alone, so its previous scan is unknown): 2 min
	// -> 0 min bucket score 0 -> below minimum -> 0.
	if exps[1].RiskScore != 0 {
		t.Errorf("short exposure risk score %d, want 0", exps[1].RiskScore)
	}
	bad := DefaultV1Config()
	bad.DurationScores[2] = 9
	if _, err := V1Exposures(ws, bad, 0); err == nil || !strings.Contains(err.Error(), "duration_scores[2]") {
		t.Errorf("bad score accepted: %v", err)
	}
}

func v2Test() V2Config {
	c := V2Config{
		AttenuationBucketThresholdDb:   [3]int{46, 55, 63},
		AttenuationBucketWeights:       [4]float64{2, 1, 0.5, 0},
		ReportTypeWeights:              [6]float64{0, 1, 0.5, 0.25, 0, 0},
		InfectiousnessWeights:          [3]float64{0, 1, 2},
		ReportTypeWhenMissing:          ReportSelfReport,
		InfectiousnessWhenOnsetMissing: InfectiousnessStandard,
	}
	for i := range c.DaysSinceOnsetToInfectiousness {
		d := i - 14
		switch {
		case d >= -2 && d <= 3:
			c.DaysSinceOnsetToInfectiousness[i] = InfectiousnessHigh
		case d >= -5 && d <= 9:
			c.DaysSinceOnsetToInfectiousness[i] = InfectiousnessStandard
		}
	}
	return c
}

func TestV2Scoring(t *testing.T) {
	c := v2Test()
	// Scans at 46 (IMMEDIATE), 55 (NEAR), 63 (MEDIUM), 64 (OTHER):
	// 120*2 + 300*1 + 300*0.5 + 300*0 = 690 weighted s.
	w := scans(t, 0, 4, 46, 55, 63, 64)[0]
	w.ReportType, w.HasOnset, w.DaysSinceOnset = ReportConfirmedTest, true, 1
	score, wd := c.WindowScore(&w)
	if wd != 690 || score != 690*1*2 {
		t.Errorf("window score %v, weighted duration %v; want 1380, 690", score, wd)
	}
	for _, tc := range []struct {
		rt, onset int
		has       bool
		want      float64
	}{
		{ReportConfirmedClinical, 5, true, 690 * 0.5 * 1},
		{ReportUnknown, 0, false, 690 * 0.25 * 1}, // missing -> self report, standard
		{ReportConfirmedTest, -10, true, 0},       // NONE
		{ReportConfirmedTest, 20, true, 0},        // outside -14..14
		{ReportRevoked, 1, true, 0},
	} {
		w2 := w
		w2.ReportType, w2.DaysSinceOnset, w2.HasOnset = tc.rt, tc.onset, tc.has
		if got, _ := c.WindowScore(&w2); got != tc.want {
			t.Errorf("report type %d onset %d/%v: score %v, want %v", tc.rt, tc.onset, tc.has, got, tc.want)
		}
	}
}

func TestDailySummaries(t *testing.T) {
	c := v2Test()
	c.MinimumWindowScore = 100
	c.DaysSinceExposureThreshold = 10
	mk := func(key int, dayOffset int, rt int, atts ...int) ExposureWindow {
		w := scans(t, key, len(atts), atts...)[0]
		w.DateMillis += int64(dayOffset) * 86400_000
		w.ReportType = rt
		return w
	}
	ws := []ExposureWindow{
		mk(0, 0, ReportConfirmedTest, 40, 40),     // (120+300)*2 = 840 * 1 * 1 (onset missing -> standard)
		mk(1, 0, ReportConfirmedClinical, 50, 50), // 420 * 1 = 420 * 0.5 = 210
		mk(2, 0, ReportConfirmedTest, 60),         // 120*0.5 = 60 < 100 dropped
		mk(3, 2, ReportConfirmedTest, 40),         // 240, day 2
		mk(4, -20, ReportConfirmedTest, 40, 40),   // too old
	}
	days, err := DailySummaries(ws, c, riskDay+2*86400_000+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].DateMillis != riskDay || days[1].DateMillis != riskDay+2*86400_000 {
		t.Fatalf("days %+v", days)
	}
	d := days[0]
	if d.ScoreSum != 1050 || d.MaximumScore != 840 || d.WeightedDurationSum != 1260 {
		t.Errorf("day 0 %+v", d)
	}
	if r := d.ByReportType[ReportConfirmedClinical]; r.ScoreSum != 210 || r.WeightedDurationSum != 420 {
		t.Errorf("day 0 clinical %+v", r)
	}
	bad := v2Test()
	bad.AttenuationBucketThresholdDb = [3]int{60, 50, 70}
	if _, err := DailySummaries(ws, bad, 0); err == nil {
		t.Error("decreasing thresholds accepted")
	}
	bad = v2Test()
	bad.ReportTypeWeights[1] = 2.6
	if _, err := DailySummaries(ws, bad, 0); err == nil {
		t.Error("weight 2.6 accepted")
	}
}

func TestPresets(t *testing.T) {
	names := PresetNames()
	if !slices.IsSorted(names) || len(names) < 4 {
		t.Fatalf("preset names %v", names)
	}
	for _, want := range []string{"cwa", "swisscovid", "immuni", "gaen-v1-default"} {
		if !slices.Contains(names, want) {
			t.Errorf("no preset %q", want)
		}
	}
	for _, n := range names {
		c, err := PresetByName(n)
		if err != nil || c.Name != n {
			t.Fatalf("PresetByName(%q) = %+v, %v", n, c, err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s invalid: %v", n, err)
		}
		// A preset survives a YAML round trip (scenarios load rules from YAML).
		b, err := yaml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Config
		if err := yaml.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back != c {
			t.Errorf("preset %s changes through YAML:\n%s", n, b)
		}
	}
	if _, err := PresetByName("nope"); err == nil {
		t.Error("unknown preset accepted")
	}
}

func TestPresetDecisions(t *testing.T) {
	now := riskDay + 86400_000
	for _, tc := range []struct {
		preset  string
		n       int
		atts    []int
		notify  bool
		minutes float64
	}{
		// 4 scans at 50 dB: 120+900 s = 17 minutes at weight 1.
		{"cwa", 4, []int{50}, true, 17},
		{"cwa", 3, []int{50}, false, 12},
		// 60 dB weighs 0.5: 7 scans = 1920 s -> 16 weighted minutes.
		{"cwa", 7, []int{60}, true, 16},
		{"cwa", 6, []int{60}, false, 13.5},
		// Encounters shorter than 10 min are discarded by CWA only.
		{"cwa", 2, []int{50}, false, 0},
		{"swisscovid", 2, []int{50}, false, 7},
		// An encounter averaging more than 73 dB is discarded by CWA
		// only: 2 of 8 scans at 40 dB, 6 at 100 dB.
		{"cwa", 8, []int{40, 40, 100, 100, 100, 100, 100, 100}, false, 0},
		{"swisscovid", 8, []int{40, 40, 100, 100, 100, 100, 100, 100}, false, 7},
		{"swisscovid", 4, []int{54}, true, 17},
		{"swisscovid", 4, []int{63}, false, 0},
		// Immuni, 22 June 2020: a mean attenuation <= 73 dB scores 5 and
		// a duration over 15 minutes (as the API rounds it: 17 minutes
		// is 15) scores 5, so 25 >= 20 notifies; the reported weighted
		// minutes are those below 70 dB.
		{"immuni", 4, []int{73}, false, 0},
		{"immuni", 5, []int{73}, true, 0},
		{"immuni", 5, []int{74}, false, 0},
		{"immuni", 5, []int{60}, true, 22},
		// NHS: one window's risk is 60 × its risk score × 0.4 (onset
		// unknown: standard infectiousness). The smoother lets the
		// distance drift between scans five minutes apart, so 25 minutes
		// of scans at 40 dB score 5.8 (risk 139 >= 120) and 15 minutes
		// 3.0 (risk 72).
		{"nhs", 6, []int{40}, true, 0},
		{"nhs", 4, []int{40}, false, 0},
		{"nhs", 6, []int{65}, false, 0},
		{"nhs", 1, []int{30}, false, 0},
		// The v1 defaults notify on any exposure (score 4^4 >= 4).
		{"gaen-v1-default", 1, []int{90}, true, 0},
		// v2 example: 4 scans at 55 (NEAR, weight 1) = 1020 s >= 900.
		{"gaen-v2-example", 4, []int{55}, true, 17},
		{"gaen-v2-example", 3, []int{55}, false, 12},
	} {
		c, err := PresetByName(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		ws := scans(t, 0, tc.n, tc.atts...)
		for i := range ws {
			ws[i].ReportType = ReportConfirmedTest
		}
		d, err := c.Decide(ws, now)
		if err != nil {
			t.Fatal(err)
		}
		if d.Notify != tc.notify || math.Abs(d.WeightedMinutes-tc.minutes) > 1e-9 {
			t.Errorf("%s, %d scans at %v dB: notify %v with %.2f weighted minutes, want %v with %.2f",
				tc.preset, tc.n, tc.atts, d.Notify, d.WeightedMinutes, tc.notify, tc.minutes)
		}
	}
	c, _ := PresetByName("cwa")
	if d, err := c.Decide(nil, now); err != nil || d.Notify || d.DateMillis != 0 {
		t.Errorf("no windows: %+v, %v", d, err)
	}
	c.Model = "v9"
	if _, err := c.Decide(nil, now); err == nil {
		t.Error("unknown model accepted")
	}
}

// FuzzDecide feeds arbitrary window contents to every preset: no panics,
// and a notification always comes with a day.
func FuzzDecide(f *testing.F) {
	f.Add(int64(0), 1, 14, true, 6, 50, 55, 300, 3)
	f.Add(int64(-5), -3, -40, false, 99, -1, 400, -7, 40)
	f.Fuzz(func(t *testing.T, date int64, rt, onset int, has bool, tr, minA, typA, secs, n int) {
		n = min(max(n, 0), 50)
		w := ExposureWindow{Key: 0, DateMillis: date * 86400_000, ReportType: rt, DaysSinceOnset: onset, HasOnset: has, TransmissionRisk: tr}
		for i := range n {
			w.ScanInstances = append(w.ScanInstances, ScanInstance{minA, typA, secs, date*86400_000 + int64(i)*300_000})
		}
		for _, name := range PresetNames() {
			c, _ := PresetByName(name)
			d, err := c.Decide([]ExposureWindow{w, w}, date*86400_000+86400_000)
			if err != nil {
				t.Fatal(err)
			}
			if d.Notify && d.DateMillis != w.DateMillis {
				t.Fatalf("%s notifies for day %d, window day %d", name, d.DateMillis, w.DateMillis)
			}
		}
	})
}
