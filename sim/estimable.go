package sim

import (
	"fmt"
	"math"
)

// MinREffCases is the fewest cases the cohorts behind r_eff must hold
// (cohorts infected after the seed day that finished being infectious):
// below it a handful of chains decide the number.
const MinREffCases = 20

// EpidemicGenerations is how many of the model's mean generation
// intervals (EpidemicResult.GenerationDays) a run must last from the seed
// day before it reports r_eff and the share of infections averted: one generation for
// the seed cases' own infections, one more for the app's notifications to
// prevent some of the next (testing, upload and notification take days).
const EpidemicGenerations = 2

// EpidemicDaysNeeded is the fewest days, counted from the seed day, a
// run of r must last for its epidemic outcomes to be reported; 0 without
// the epidemic layer.
func (r *Result) EpidemicDaysNeeded() int {
	if r.Epidemic == nil {
		return 0
	}
	return int(math.Ceil(EpidemicGenerations * r.Epidemic.GenerationDays))
}

// EpidemicShortfall says, for each of a's epidemic outcomes that run r
// cannot show yet, why and what to enlarge: "r_eff", and for an arm (not
// the paired run without the app, whose aversion is 0 by definition)
// "averted". It is empty when every outcome can be reported, and nil
// without the epidemic layer.
func (r *Result) EpidemicShortfall(a *ArmEpidemic, counterfactual bool) map[string]string {
	if r.Epidemic == nil || a == nil {
		return nil
	}
	out := map[string]string{}
	need := r.EpidemicDaysNeeded()
	span := r.Days - r.Epidemic.SeedDay
	if span < need {
		why := fmt.Sprintf("the run lasts %d days from the seed day; the epidemic needs %d (%d generation intervals of %.1f days) "+
			"to show it: raise days to at least %d", span, need, EpidemicGenerations, r.Epidemic.GenerationDays, r.Epidemic.SeedDay+need)
		out["r_eff"] = why
		if !counterfactual {
			out["averted"] = why
		}
		return out
	}
	if a.REffCompleteCases < MinREffCases {
		out["r_eff"] = fmt.Sprintf("only %d cases in the cohorts that finished being infectious; need %d: raise days or population.size",
			a.REffCompleteCases, MinREffCases)
	}
	return out
}
