package epidemic

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestRtBranching: a branching process with Poisson(2) offspring, each
// child infected 1–7 days after its parent, has cohort Rt ≈ 2 on every day
// whose cohort has finished (the last generation is cut off).
func TestRtBranching(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pois := distuv.Poisson{Lambda: 2, Src: rng}
	var c Chain
	type node struct{ id, day int32 }
	next := int32(0)
	var gen []node
	for range 50 {
		c.RecordInfection(-1, next, 0)
		gen = append(gen, node{next, 0})
		next++
	}
	const lastDay = 40
	for len(gen) > 0 {
		var kids []node
		for _, p := range gen {
			for range int(pois.Rand()) {
				d := p.day + 1 + int32(rng.IntN(7))
				if d > lastDay {
					continue // offspring after the horizon are never seen
				}
				c.RecordInfection(p.id, next, d)
				kids = append(kids, node{next, d})
				next++
			}
		}
		gen = kids
	}
	pts := c.Rt()
	cases, sec := 0, 0
	for _, pt := range pts {
		if pt.Day <= lastDay-7 {
			cases += pt.Cases
			sec += pt.Secondary
		}
	}
	r := float64(sec) / float64(cases)
	if math.Abs(r-2) > 0.05 {
		t.Errorf("pooled cohort R %.3f over %d cases, want 2", r, cases)
	}
	// Late days, per day, are each near 2 as well (thousands of cases).
	for _, pt := range pts {
		if pt.Day >= 20 && pt.Day <= lastDay-7 && math.Abs(pt.R-2) > 0.15 {
			t.Errorf("day %d: R %.3f over %d cases", pt.Day, pt.R, pt.Cases)
		}
	}
	if tail := pts[len(pts)-1]; tail.Secondary != 0 {
		t.Errorf("last day has %d secondaries", tail.Secondary)
	}
	t.Logf("cohort R %.3f over %d cases", r, cases)
}

func TestPopulationRtAndTally(t *testing.T) {
	m := newModel(t, nil)
	pop, _ := NewPopulation(m, 6)
	q, _ := NewQuarantines(6)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(pop.Infect(0, 0, -1))
	must(pop.Infect(1, 3, 0))
	must(pop.Infect(2, 4, 0))
	must(pop.Infect(3, 6, 1))
	if _, err := q.Start(4, 2, 5, ReasonApp); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Start(1, 4, 5, ReasonIsolation); err != nil {
		t.Fatal(err)
	}
	s := pop.Tally(4, q)
	if s.NewInfections != 1 || s.Susceptible != 3 || s.QuarantinePersonDays != 2 || s.QuarantineUninfectedDays != 1 {
		t.Errorf("tally %+v", s)
	}
	if got := s.Exposed + s.Presymptomatic + s.Symptomatic + s.Asymptomatic + s.Recovered + s.Susceptible; got != 6 {
		t.Errorf("compartments sum to %d", got)
	}
	for day := int32(0); day < 30; day++ {
		var want []int32
		for a := range int32(6) {
			if pop.CanTransmit(a, day) {
				want = append(want, a)
			}
		}
		if got := pop.InfectiousOn(day, nil); !slices.Equal(got, want) {
			t.Errorf("InfectiousOn(%d) = %v, want %v", day, got, want)
		}
	}
	pts := pop.Rt(100)
	if len(pts) != 7 || pts[0].R != 2 || pts[3].R != 1 || pts[4].R != 0 || !math.IsNaN(pts[1].R) || !pts[0].Complete {
		t.Errorf("Rt %+v", pts)
	}
	if early := pop.Rt(5); len(early) != 6 || early[0].Complete {
		t.Errorf("Rt through day 5: %+v", early)
	}
	out := pop.NotifiedOutcomes([]Notice{
		{Index: 0, Person: 2, Day: 3}, // infected by its index on day 4
		{Index: 1, Person: 2, Day: 5}, // second notice of the same person
		{Index: 0, Person: 3, Day: 2}, // infected by someone else on day 6
		{Index: 0, Person: 4, Day: 2}, // never infected
		{Index: 2, Person: 5, Day: 9}, // never infected
	}, 14)
	if out.Notified != 4 || out.Infected != 2 || out.ByIndex != 1 || out.SAR != 0.5 || out.SARByIndex != 0.25 {
		t.Errorf("notified outcomes %+v", out)
	}
}

func TestSummarizeAndAverted(t *testing.T) {
	base := Series{
		{Day: 0, NewInfections: 10, Susceptible: 90, Exposed: 10, Uploads: 2, AppNotifications: 9, QuarantinePersonDays: 4, QuarantineUninfectedDays: 3},
		{Day: 1, NewInfections: 5, Susceptible: 85, Exposed: 10, Presymptomatic: 5, Uploads: 1, AppNotifications: 3, QuarantinePersonDays: 6, QuarantineUninfectedDays: 3},
	}
	s := base.Summarize(100)
	if s.Infections != 15 || s.AttackRate != 0.15 || s.NotificationsPerIndex != 4 || s.UninfectedShare != 0.6 || s.PeakDay != 1 || s.PeakInfectious != 5 {
		t.Errorf("summary %+v", s)
	}
	cf := Series{{Day: 0, NewInfections: 10}, {Day: 1, NewInfections: 15}}
	a, err := Averted(base, cf)
	if err != nil || a.Averted != 10 || a.Fraction != 0.4 || a.Base != 15 || a.Counterfactual != 25 {
		t.Errorf("Averted = %+v, %v", a, err)
	}
	if a, err := Averted(base, base); err != nil || a.Averted != 0 {
		t.Errorf("self-paired averted %+v %v", a, err)
	}
	if _, err := Averted(base, cf[:1]); err == nil {
		t.Error("Averted accepted series of different lengths")
	}
	if _, err := Averted(base, Series{{Day: 0}, {Day: 2}}); err == nil {
		t.Error("Averted accepted misaligned days")
	}
}
