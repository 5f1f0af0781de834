package output

import (
	"math"

	"github.com/bluesim/bluesim/sim"
)

// ArmEpidemic is an arm's epidemic outcome in summary.json: the engine's
// (sim.ArmEpidemic), with r_eff and averted null when the run is too
// short or too small to show them (the reason is in the arm's unestimable
// map, under "epidemic.r_eff" and "epidemic.averted"). Infections and
// infections_averted stay: they are counts of what happened, whatever
// they mean so early.
type ArmEpidemic struct {
	sim.ArmEpidemic
	REff    Num `json:"r_eff"`
	Averted Num `json:"averted"`
}

// armEpidemic returns e as summary.json shows it, and the reasons for
// what it leaves out, keyed "epidemic.r_eff" and so on.
func armEpidemic(r *sim.Result, e *sim.ArmEpidemic, counterfactual bool) (*ArmEpidemic, map[string]string) {
	if e == nil {
		return nil, nil
	}
	out := &ArmEpidemic{ArmEpidemic: *e, REff: Num(e.REff), Averted: Num(e.Averted)}
	why := map[string]string{}
	for k, v := range r.EpidemicShortfall(e, counterfactual) {
		why["epidemic."+k] = v
		switch k {
		case "r_eff":
			out.REff = Num(math.NaN())
		case "averted":
			out.Averted = Num(math.NaN())
		}
	}
	return out, why
}
