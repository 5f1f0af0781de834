package target

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bluesim/bluesim/scenarios"
)

// MaxAdoption is the largest adoption a scenario allows: the share of the
// population owning a smartphone (population.age_shares weighted by
// population.phones.ownership_by_age), since only owners can install the
// app. It is the scenario validator's own limit (scenarios.Ownership), so an
// arm set to it validates.
func MaxAdoption(sc *scenarios.Scenario) (float64, error) {
	own, ok := scenarios.Ownership(sc)
	if !ok {
		p := &sc.Population
		return 0, fmt.Errorf("population.age_shares (%d values) and population.phones.ownership_by_age (%d values) do not line up",
			len(p.AgeShares), len(p.Phones.OwnershipByAge))
	}
	if !finite(own) || own <= 0 {
		return 0, fmt.Errorf("nobody owns a smartphone (ownership %v), so no adoption is possible", own)
	}
	return min(own, 1), nil
}

// ArmIndex returns the index of the arm called name; "" picks the first.
func ArmIndex(sc *scenarios.Scenario, name string) (int, error) {
	if len(sc.Arms) == 0 {
		return 0, fmt.Errorf("the scenario has no arm")
	}
	if name == "" {
		return 0, nil
	}
	i := slices.IndexFunc(sc.Arms, func(a scenarios.Arm) bool { return a.Name == name })
	if i < 0 {
		names := make([]string, len(sc.Arms))
		for j, a := range sc.Arms {
			names[j] = a.Name
		}
		return 0, fmt.Errorf("no arm %q in scenario %s (arms: %s)", name, sc.Name, strings.Join(names, ", "))
	}
	return i, nil
}

// WithAdoption returns a copy of sc that runs only arm i, at adoption a.
// The other arms are left out: they do not change what the chosen arm's
// phones hear or who is diagnosed (TestWithAdoptionMatchesFullRun checks
// that the arm's summary is the same as in a run of every arm), and each
// costs a run's worth of matching. An install ramp keeps its shape: ramp.from is scaled by
// a / (the arm's adoption), so the campaign starts at the same fraction of
// its end value and ends at a (with an arm adoption of 0, from is 0). The
// result is validated like a loaded scenario.
func WithAdoption(sc *scenarios.Scenario, i int, a float64) (scenarios.Scenario, error) {
	if i < 0 || i >= len(sc.Arms) {
		return scenarios.Scenario{}, fmt.Errorf("arm index %d out of range (%d arms)", i, len(sc.Arms))
	}
	out := *sc
	arm := sc.Arms[i]
	if arm.Ramp.Days > 0 {
		if arm.Adoption > 0 {
			arm.Ramp.From = min(a, arm.Ramp.From*a/arm.Adoption)
		} else {
			arm.Ramp.From = 0
		}
	}
	arm.Adoption = a
	out.Arms = []scenarios.Arm{arm}
	if errs := scenarios.Validate(&out); len(errs) > 0 {
		return out, fmt.Errorf("adoption %v: %w", a, errs)
	}
	return out, nil
}

// CheckGoal reports a goal the scenario cannot answer: an epidemic metric
// while the scenario's epidemic layer is off.
func CheckGoal(g Goal, sc *scenarios.Scenario) error {
	if g.Metric.Epidemic && !sc.Epidemic.Enabled {
		return NeedsEpidemic(g.Metric.Name)
	}
	return nil
}
