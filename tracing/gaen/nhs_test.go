package gaen

import (
	"math"
	"testing"
)

// TestNHSWindowScoreVector is the scoring library's own test vector
// (ukhsa-collaboration/riskscore-swift-public, Tests/RiskScoreTests:
// ExampleData.swift exampleDataSingleValues scored with
// exampleConfiguration, which is the published configuration's riskScore
// block, in RiskScoreCalculatorTests.swift: 2.149345279234102 ± 1e-8).
func TestNHSWindowScoreVector(t *testing.T) {
	s := &nhsScratch{
		val: []float64{97.03021291, 85.81504891, 83.44136722, 64.5678367, 78.41303166,
			83.62187329, 73.51912742, 76.64553678, 66.65088196, 70.27063972},
		sec: []float64{201.06532745872457, 225.75565160910116, 279.3777909268962, 215.4689826255009,
			263.05165262029305, 211.07091989780974, 228.45034015853247, 183.48910595748023,
			189.9994479121982, 190.48134624246617},
	}
	got, err := DefaultNHSRiskScore().score(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2.149345279234102; math.Abs(got-want) > 1e-8 {
		t.Fatalf("score %.15f, want %.15f", got, want)
	}
}

// TestNHSInfectiousness: the window risk is 60 × the score × the
// infectiousness weight of the key's days since onset (0.4 standard, 1
// high, nothing for NONE), so onset decides whether 15 minutes at 40 dB
// (score 3.0) reach the threshold of 120.
func TestNHSInfectiousness(t *testing.T) {
	c, err := PresetByName("nhs")
	if err != nil {
		t.Fatal(err)
	}
	now := riskDay + 86400_000
	for _, tc := range []struct {
		name    string
		has     bool
		onset   int
		notify  bool
		weight  float64
		present bool
	}{
		{"no onset: standard", false, 0, false, 0.4, true},
		{"onset day: high", true, 0, true, 1, true},
		{"5 days after onset: standard", true, 5, false, 0.4, true},
		{"12 days after onset: none", true, 12, false, 0, false},
	} {
		ws := scans(t, 0, 4, 40)
		for i := range ws {
			ws[i].ReportType, ws[i].HasOnset, ws[i].DaysSinceOnset = ReportConfirmedTest, tc.has, tc.onset
		}
		d, err := c.Decide(ws, now)
		if err != nil {
			t.Fatal(err)
		}
		score, err := c.NHS.WindowScore(ws[0].ScanInstances, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := 60 * score * tc.weight
		if d.Notify != tc.notify || math.Abs(d.WindowRisk-want) > 1e-9 || (d.DateMillis != 0) != tc.present {
			t.Errorf("%s: %+v, want notify %v with risk %.2f", tc.name, d, tc.notify, want)
		}
	}
}
