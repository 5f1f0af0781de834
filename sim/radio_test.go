package sim

import (
	"context"
	"testing"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/tracing/bluezone"
)

// TestExactRadioSameResult: the engine's radio path (each link prepared
// once, radio.PreparedLink, and the direct per-minute maximum,
// PreparedLink.Strongest) and the per-window reference path (every
// record, radio.Model.Records, folded by radio.KeepStrongest, and
// radio.Model.Scan for GAEN), which engine.exact_radio selects, give the
// same results, byte for byte, for the protocols that keep the strongest
// record per minute and for GAEN's scan summaries.
func TestExactRadioSameResult(t *testing.T) {
	sc := small(600, 3)
	// The deployed any-sighting rule, and the F1 rule with the apps' RSSI
	// thresholds, which reads the kept RSSIs.
	f1 := scenarios.BluezoneArm("bz-f1", 0.5)
	f1.Rule = bluezone.RuleParams{Mode: bluezone.ModeF1, RSSI: bluezone.DefaultRSSIThresholds(), MinMinutes: 5}
	sc.Arms = []scenarios.Arm{scenarios.BluezoneArm("bz", 0.5), f1, scenarios.ProtocolArm("bz1", "bluezone-v1", 0.5),
		scenarios.GAENArm("gaen", 0.5)}
	rf, nf := run(t, sc, WithWorkers(2))
	sc.Engine.ExactRadio = true
	re, ne := run(t, sc, WithWorkers(2))
	if countNots(nf) == 0 {
		t.Fatal("no notifications: the comparison would be empty")
	}
	for i := range rf.Arms {
		if rf.Arms[i].Sightings == 0 {
			t.Fatalf("arm %s stored no sightings", rf.Arms[i].Name)
		}
	}
	if a, b := rf.Arms[0].Counts, rf.Arms[1].Counts; a.TP+a.FP == b.TP+b.FP {
		t.Errorf("the f1 arm notified as many (%d) as the any-sighting arm: the RSSIs are not tested", a.TP+a.FP)
	}
	if !equalNots(nf, ne) || rf.Hash != re.Hash {
		t.Fatalf("direct and reference radio differ: %d vs %d notifications, hash %s vs %s", countNots(nf), countNots(ne), rf.Hash, re.Hash)
	}
}

// BenchmarkBluezoneRadio runs a Bluezone town of 5,000 people over 4 days
// with the radio's direct per-minute maximum and with its reference path
// (engine.exact_radio), two workers; the results are identical
// (TestExactRadioSameResult), so the ratio of the times is the saving.
func BenchmarkBluezoneRadio(b *testing.B) {
	for _, exact := range []bool{false, true} {
		name := "direct"
		if exact {
			name = "exact_radio"
		}
		b.Run(name, func(b *testing.B) {
			sc := scenarios.Default()
			sc.Days = 4
			sc.Population = agents.Default(5000)
			sc.Arms = []scenarios.Arm{scenarios.BluezoneArm("bluezone-30", 0.3)}
			sc.Diagnosis.FirstDay = 0
			sc.Engine.ExactRadio = exact
			var ad float64
			for b.Loop() {
				r, err := Run(context.Background(), sc, WithWorkers(2))
				if err != nil {
					b.Fatal(err)
				}
				ad = r.AgentDaysPerSecond
			}
			b.ReportMetric(ad, "agent-days/s")
		})
	}
}
