package sim

import (
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// epiScenario is a small town with the epidemic on: n people over days
// days, one Bluezone and one GAEN arm at adoption a.
func epiScenario(n, days int, a float64) scenarios.Scenario {
	sc := small(n, days)
	sc.Arms = []scenarios.Arm{scenarios.BluezoneArm("bluezone", a), scenarios.GAENArm("gaen", a)}
	sc.Epidemic.Enabled = true
	sc.Epidemic.InitialInfections = 10
	sc.Metrics.AttenuationSamples = 0
	return sc
}

func TestEpidemicSmoke(t *testing.T) {
	sc := epiScenario(1500, 20, 0.5)
	r, _ := run(t, sc, WithWorkers(2))
	if r.Epidemic == nil || r.Epidemic.Beta <= 0 {
		t.Fatalf("no epidemic result or beta not calibrated: %+v", r.Epidemic)
	}
	cf := r.Epidemic.Counterfactual
	t.Logf("beta %.4g; no-app: infections %d attack %.3f r_eff %.2f", r.Epidemic.Beta, cf.Infections, cf.AttackRate, cf.REff)
	for _, a := range r.Arms {
		ep := a.Epidemic
		if ep == nil {
			t.Fatalf("arm %s: no epidemic outcome", a.Name)
		}
		t.Logf("%s: infections %d attack %.3f averted %d (%.2f) r_eff %.2f index %d uploads %d notified %d sar %.2f q-days %d (uninfected %d) coverage %.2f",
			a.Name, ep.Infections, ep.AttackRate, ep.InfectionsAverted, ep.Averted, ep.REff, a.IndexCases, ep.Uploads,
			ep.Notified, ep.SecondaryAttackRate, ep.QuarantinePersonDays, ep.QuarantineUninfectedDays, a.Coverage)
		if a.IndexCases != ep.Positives {
			t.Errorf("arm %s: %d index cases, %d positives", a.Name, a.IndexCases, ep.Positives)
		}
		if a.Uploads != ep.Uploads {
			t.Errorf("arm %s: %d uploads scored, %d in the epidemic", a.Name, a.Uploads, ep.Uploads)
		}
		if ep.InfectionsAverted != cf.Infections-ep.Infections {
			t.Errorf("arm %s: averted %d, want %d - %d", a.Name, ep.InfectionsAverted, cf.Infections, ep.Infections)
		}
	}
	if cf.Infections <= int64(sc.Epidemic.InitialInfections) {
		t.Errorf("no spread: %d infections", cf.Infections)
	}
}

// With worker counts 1 and 3 the epidemic runs are byte-identical.
func TestEpidemicDeterministicAcrossWorkers(t *testing.T) {
	sc := epiScenario(800, 12, 0.5)
	r1, _ := run(t, sc, WithWorkers(1))
	r3, _ := run(t, sc, WithWorkers(3))
	if r1.Hash != r3.Hash {
		t.Fatalf("hash differs: %s vs %s", r1.Hash, r3.Hash)
	}
}

// With the app off (adoption 0) each arm's run is the paired
// counterfactual exactly: same draws, no notifications.
func TestEpidemicAppOffEqualsCounterfactual(t *testing.T) {
	sc := epiScenario(800, 15, 0)
	r, _ := run(t, sc, WithWorkers(2))
	cf := r.Epidemic.Counterfactual
	for _, a := range r.Arms {
		got := *a.Epidemic
		if got != cf {
			t.Errorf("arm %s: %+v\nwant the counterfactual %+v", a.Name, got, cf)
		}
	}
	byArm := map[string][]EpidemicDay{}
	for _, d := range r.Epidemic.Daily {
		d2 := d
		d2.Arm = ""
		byArm[d.Arm] = append(byArm[d.Arm], d2)
	}
	for _, a := range r.Arms {
		if len(byArm[a.Name]) != len(byArm[CounterfactualArm]) {
			t.Fatalf("arm %s: %d days", a.Name, len(byArm[a.Name]))
		}
		for i := range byArm[a.Name] {
			if byArm[a.Name][i] != byArm[CounterfactualArm][i] {
				t.Errorf("arm %s day %d: %+v vs %+v", a.Name, i, byArm[a.Name][i], byArm[CounterfactualArm][i])
			}
		}
	}
}

// Sampling the radio only for people who can upload within the sightings
// window gives the same notifications, verdicts and epidemics as
// sampling every app pair.
func TestEpidemicAdvertisersEqualAll(t *testing.T) {
	if testing.Short() {
		t.Skip("samples every app pair's radio: slow")
	}
	sc := epiScenario(400, 8, 0.6)
	sc.Epidemic.InitialInfections = 20
	r1, n1 := run(t, sc, WithWorkers(2))
	sc.Engine.AllSightings = true
	r2, n2 := run(t, sc, WithWorkers(2))
	if !equalNots(n1, n2) {
		t.Fatalf("notifications differ: %d vs %d", countNots(n1), countNots(n2))
	}
	if countNots(n1) == 0 {
		t.Fatal("no notifications: the test checks nothing")
	}
	for i := range r1.Arms {
		a, b := r1.Arms[i], r2.Arms[i]
		if a.Counts != b.Counts || *a.Epidemic != *b.Epidemic {
			t.Errorf("arm %s: %+v %+v\nvs %+v %+v", a.Name, a.Counts, *a.Epidemic, b.Counts, *b.Epidemic)
		}
	}
}
