package main

import (
	"context"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/plots"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

// TestBuiltinFigureLegends runs every built-in scenario, small, through
// the simulator and checks that no figure's legend covers its data
// (plots.Figure.LegendClear, by pixels).
func TestBuiltinFigureLegends(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every built-in through the simulator")
	}
	for _, name := range scenarios.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			sets := []string{"population.size=600", "days=6", "diagnosis.first_day=1", "engine.workers=2"}
			if name == "policy" {
				sets = append(sets, "days=25")
			}
			l, err := scenarios.Resolve(name, sets...)
			if err != nil {
				t.Fatal(err)
			}
			r, err := sim.Run(context.Background(), l.Scenario)
			if err != nil {
				t.Fatal(err)
			}
			figs, err := plots.Figures(r, output.Options{DiagnosedAmong: l.Scenario.Diagnosis.Among})
			if err != nil {
				t.Fatal(err)
			}
			for i := range figs {
				place, err := figs[i].LegendClear()
				if err != nil {
					t.Error(err)
				}
				t.Logf("%s: legend %s", figs[i].Name, place)
			}
		})
	}
}
