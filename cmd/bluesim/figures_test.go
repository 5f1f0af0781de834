package main

import (
	"context"
	"testing"

	"github.com/bluesim/bluesim/georun"
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
			l, err := scenarios.Resolve(name)
			if err != nil {
				t.Fatal(err)
			}
			if p := l.Scenario.Population; p.Geographic() {
				// A census area's size follows the census: about 3,500
				// people of Nam Định's districts, or of three provinces
				// run province by province.
				sets[0] = "population.scale=0.002"
				if p.Separate() {
					sets = append(sets, "population.area=nam-dinh,thai-binh,ha-nam", "population.scale=0.0008")
				}
			}
			l, err = scenarios.Resolve(name, sets...)
			if err != nil {
				t.Fatal(err)
			}
			r, err := runWhole(l.Scenario)
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

// runWhole runs a scenario, province by province when it is simulated
// so (as bluesim run does), and returns the whole result.
func runWhole(sc scenarios.Scenario) (*sim.Result, error) {
	if !sc.Population.Separate() {
		return sim.Run(context.Background(), sc)
	}
	plan, err := georun.NewPlan(sc)
	if err != nil {
		return nil, err
	}
	rs, err := georun.Run(context.Background(), plan.Parts, func(ctx context.Context, p scenarios.ProvincePart) (*sim.Result, error) {
		return sim.Run(ctx, p.Scenario, sim.WithWorkers(2))
	})
	if err != nil {
		return nil, err
	}
	return plan.Combine(rs)
}
