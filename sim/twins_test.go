package sim

import (
	"slices"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// Arms with the same rule (twins) decide an exposure once and copy the
// verdict where they keep the same sightings. Each case runs three arms of
// one protocol: the first at a high adoption, the second at a lower one
// with the same rule (a twin of the first, which copies its verdicts), and
// the third at the same lower adoption with a rule that decides alike but
// is written differently, so it is not a twin and its rule runs on every
// exposure. The second and third arms must agree in every verdict, score
// and table.
func TestTwinArmsEqualOwnRule(t *testing.T) {
	cases := []struct {
		name     string
		protocol string
		// alike is a rule that decides as the default one but is not
		// equal to it.
		alike tracing.RuleParams
	}{
		// In mode any the minimum minutes do not apply.
		{"bluezone", "bluezone", func() bluezone.RuleParams {
			p := bluezone.DefaultRuleParams()
			p.MinMinutes++
			return p
		}()},
		// CWA's trigger, spelled out.
		{"gaen", "gaen", gaen.RuleParams{Preset: "cwa", TriggerMinutes: 15}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := small(500, 5)
			// The lower arms ramp up, so that early in the window they
			// keep fewer of an exposure's sightings than the first arm.
			twin := scenarios.ProtocolArm("twin-20", tc.protocol, 0.2)
			twin.Ramp = scenarios.Ramp{From: 0.05, Days: 4}
			own := twin
			own.Name, own.Rule = "own-20", tc.alike
			sc.Arms = []scenarios.Arm{scenarios.ProtocolArm("a-40", tc.protocol, 0.4), twin, own}
			e, err := newEngine(sc, config{workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			if want := []int{0, 0, 2}; !slices.Equal(e.mt.twin, want) {
				t.Fatalf("twins %v, want %v", e.mt.twin, want)
			}
			r, nots := run(t, sc, WithWorkers(2))
			if len(nots) < 3 || len(nots[1]) == 0 {
				t.Fatal("the twin arm notified nobody: the comparison would be empty")
			}
			if !slices.Equal(nots[1], nots[2]) {
				t.Errorf("notifications: twin %d, own rule %d", len(nots[1]), len(nots[2]))
			}
			tw, ow := r.Arms[1], r.Arms[2]
			tw.Name, ow.Name = "", ""
			if tw != ow {
				t.Errorf("arm summaries differ:\ntwin %+v\nown  %+v", tw, ow)
			}
			var pt, po []PairScore
			for _, p := range r.Pairs {
				p.Arm -= 1
				switch p.Arm {
				case 0:
					pt = append(pt, p)
				case 1:
					p.Arm = 0
					po = append(po, p)
				}
			}
			if len(pt) == 0 || !slices.Equal(pt, po) {
				t.Errorf("pair scores differ: twin %d, own rule %d", len(pt), len(po))
			}
		})
	}
}
