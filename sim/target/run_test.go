package target

import (
	"context"
	"reflect"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

// TestWithAdoptionMatchesFullRun: running one arm alone gives that arm
// exactly the numbers it gets in a run of every arm, which is what lets
// the search leave the other arms out.
func TestWithAdoptionMatchesFullRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine")
	}
	for _, sets := range [][]string{nil, {"epidemic.enabled=true", "days=7"}} {
		compareArms(t, sets)
	}
}

func compareArms(t *testing.T, sets []string) {
	l, err := scenarios.Load("testdata/tiny.yaml", sets...)
	if err != nil {
		t.Fatal(err)
	}
	full, err := sim.Run(context.Background(), l.Scenario)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range l.Scenario.Arms {
		one, err := WithAdoption(&l.Scenario, i, a.Adoption)
		if err != nil {
			t.Fatal(err)
		}
		r, err := sim.Run(context.Background(), one)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Arms) != 1 || !reflect.DeepEqual(r.Arms[0], full.Arms[i]) {
			t.Errorf("%v: arm %s alone:\n%+v %+v\nin the full run:\n%+v %+v", sets, a.Name, r.Arms, r.Arms[0].Epidemic,
				full.Arms[i], full.Arms[i].Epidemic)
		}
	}
}
