package sim

import (
	"context"
	"testing"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/scenarios"
)

// small is a scenario of n people over days days, big enough to have every
// venue type and a few index cases.
func small(n, days int) scenarios.Scenario {
	sc := scenarios.Default()
	sc.Name = "test"
	sc.Days = days
	sc.Population = agents.Default(n)
	sc.Population.PeoplePerMarket = 1000
	sc.Diagnosis.DailyFraction = 0.05
	sc.Diagnosis.FirstDay = 1
	sc.Metrics.AttenuationSamples = 200
	return sc
}

func TestRunSmoke(t *testing.T) {
	sc := small(1500, 3)
	r, err := Run(context.Background(), sc, WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r.Arms {
		t.Logf("%+v", a)
	}
	if len(r.Arms) != len(sc.Arms) || len(r.Daily) != len(sc.Arms)*sc.Days {
		t.Fatalf("arms %d daily %d", len(r.Arms), len(r.Daily))
	}
	var notes int64
	for _, a := range r.Arms {
		notes += a.Notifications
		if a.CloseContacts == 0 {
			t.Errorf("arm %s: no close contacts of index cases", a.Name)
		}
	}
	if notes == 0 {
		t.Error("no notifications in any arm")
	}
}
