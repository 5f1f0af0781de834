package target

import (
	"math"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

func TestWithAreaAdoption(t *testing.T) {
	l, err := scenarios.LoadBuiltin("nam-dinh", "population.scale=0.001", "arms[1].adoption_by_area={my-loc: 0.5}")
	if err != nil {
		t.Fatal(err)
	}
	sc := l.Scenario
	out, err := WithAreaAdoption(&sc, 1, "hai-hau", 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Arms) != 1 || out.Arms[0].Name != "bluezone-20" || out.Arms[0].AdoptionByArea["hai-hau"] != 0.3 ||
		out.Arms[0].AdoptionByArea["my-loc"] != 0.5 {
		t.Fatalf("arms %+v", out.Arms)
	}
	if _, set := sc.Arms[1].AdoptionByArea["hai-hau"]; set {
		t.Fatal("the scenario's own arm was changed")
	}
	if _, err := WithAreaAdoption(&sc, 1, "hai-hau", 0.95); err == nil || !strings.Contains(err.Error(), "own a smartphone") {
		t.Errorf("adoption above ownership: %v", err)
	}
	max, err := AreaMaxAdoption(&sc, "hai-hau")
	if err != nil || max < 0.6 || max > 0.8 {
		t.Errorf("hai-hau's limit %v, %v", max, err)
	}
	if _, err := AreaMaxAdoption(&sc, "hanoi"); err == nil {
		t.Error("unknown area accepted")
	}
}

func TestAreaValue(t *testing.T) {
	r := &sim.Result{Areas: []sim.AreaRow{
		{Arm: "a", Area: "x", Counts: sim.Counts{TP: 3, FP: 1, FN: 1, TN: 6}, AppTP: 3, AppCloseContacts: 3},
		{Arm: "a", Area: "y"},
	}}
	for name, want := range map[string]float64{"coverage": 0.75, "recall": 0.75, "precision": 0.75, "capture": 1, "false_positive_rate": 1.0 / 7} {
		m, err := LookupMetric(name)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := m.AreaValue(r, "a", "x"); err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, %v; want %v", name, got, err, want)
		}
		if got, _ := m.AreaValue(r, "a", "y"); got != 0 {
			t.Errorf("%s with no counts = %v, want 0 (as the engine's)", name, got)
		}
	}
	m, _ := LookupMetric("coverage")
	if _, err := m.AreaValue(r, "a", "z"); err == nil {
		t.Error("missing area accepted")
	}
	g, _ := ParseGoal("r_eff<1")
	if err := CheckAreaGoal(g); err == nil || !strings.Contains(err.Error(), "not kept per area") {
		t.Errorf("r_eff per area: %v", err)
	}
}
