package georun

import (
	"context"
	"math"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

// mixingRuns runs reps replicates of four neighbouring provinces of the
// Red River Delta (Nam Định, Thái Bình, Hà Nam, Ninh Bình) with day trips
// at travel.daily, simulated province by province (separate) or as one
// population (joint), and returns each arm's coverage and close contacts
// per replicate.
func mixingRuns(t *testing.T, mixing string, daily float64, scale float64, days, reps int) (cov, cc map[string][]float64) {
	cov, cc = map[string][]float64{}, map[string][]float64{}
	for rep := range reps {
		l, err := scenarios.LoadBuiltin("vietnam", "population.area=nam-dinh,thai-binh,ha-nam,ninh-binh",
			"population.scale="+strconv.FormatFloat(scale, 'g', -1, 64), "days="+strconv.Itoa(days),
			"population.travel.mixing="+mixing, "population.travel.daily="+strconv.FormatFloat(daily, 'g', -1, 64),
			"diagnosis.daily_fraction=0.01", "diagnosis.first_day=2",
			"seed="+strconv.FormatUint(scenarios.ReplicateSeed(1, rep), 10))
		if err != nil {
			t.Fatal(err)
		}
		var r *sim.Result
		if mixing == "separate" {
			plan, err := NewPlan(l.Scenario)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := Run(context.Background(), plan.Parts, simRun)
			if err != nil {
				t.Fatal(err)
			}
			if r, err = plan.Combine(rs); err != nil {
				t.Fatal(err)
			}
		} else if r, err = sim.Run(context.Background(), l.Scenario, sim.WithWorkers(2)); err != nil {
			t.Fatal(err)
		}
		for _, a := range r.Arms {
			cov[a.Name] = append(cov[a.Name], a.Coverage)
			cc[a.Name] = append(cc[a.Name], float64(a.CloseContacts))
		}
	}
	return cov, cc
}

// TestSeparateAgreesWithJoint measures what simulating provinces apart
// leaves out (day trippers meeting the destination's residents): with the
// default day-trip rate, each arm's mean coverage over replicates does not
// differ between separate and joint runs beyond the replicate spread
// (Welch's t test at the 1 % level). It logs its numbers (README.md quotes
// a larger run of the same comparison).
func TestSeparateAgreesWithJoint(t *testing.T) {
	if testing.Short() {
		t.Skip("16 runs of 5,500 people")
	}
	const reps = 4
	sep, sepCC := mixingRuns(t, "separate", 0.002, 0.001, 5, reps)
	joint, jointCC := mixingRuns(t, "joint", 0.002, 0.001, 5, reps)
	for _, arm := range []string{"bluezone-20", "bluezone-40", "gaen-20", "gaen-40"} {
		ms, ss := stat.MeanStdDev(sep[arm], nil)
		mj, sj := stat.MeanStdDev(joint[arm], nil)
		vs, vj := ss*ss/reps, sj*sj/reps
		se := math.Sqrt(vs + vj)
		// Welch–Satterthwaite degrees of freedom.
		df := (vs + vj) * (vs + vj) / (vs*vs/(reps-1) + vj*vj/(reps-1))
		crit := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.995)
		t.Logf("%s: coverage separate %.4f (sd %.4f), joint %.4f (sd %.4f), difference %+.4f (se %.4f, critical %.4f); close contacts %.0f vs %.0f",
			arm, ms, ss, mj, sj, ms-mj, se, crit*se, stat.Mean(sepCC[arm], nil), stat.Mean(jointCC[arm], nil))
		if math.Abs(ms-mj) > crit*se+1e-9 {
			t.Errorf("%s: separate and joint coverage differ by %.4f, beyond the replicate spread (%.4f at the 1 %% level)", arm, ms-mj, crit*se)
		}
	}
}
