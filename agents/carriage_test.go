package agents

import (
	"math"
	"slices"
	"testing"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/radio"
)

func TestStayCarriage(t *testing.T) {
	p := Default(3000)
	off, err := Build(p, radio.DefaultParams(), 8)
	if err != nil {
		t.Fatal(err)
	}
	p.Phones.CarriageByActivity.Enabled = true
	on, err := Build(p, radio.DefaultParams(), 8)
	if err != nil {
		t.Fatal(err)
	}
	stays := on.Stays(nil, 1, false)
	if !slices.Equal(stays, off.Stays(nil, 1, false)) {
		t.Fatal("carriage by activity changed the stays")
	}
	// Off: the person's carriage. On: shares by activity, and the same
	// draw for the same stay.
	counts := map[string][]int{}
	n := len(radio.Carriages())
	for i := range stays {
		s := &stays[i]
		if c := off.StayCarriage(s, 1); c != off.People[s.Person].Carriage {
			t.Fatalf("off: stay %+v carried %v, person carries %v", s, c, off.People[s.Person].Carriage)
		}
		c := on.StayCarriage(s, 1)
		if c != on.StayCarriage(s, 1) {
			t.Fatal("the same stay drew two carriages")
		}
		pp := &on.People[s.Person]
		act := on.Sites[s.Site].Kind.String()
		if act == "home" && s.Seat == pp.Bed && s.Seat >= 0 {
			act = "sleep"
		}
		if counts[act] == nil {
			counts[act] = make([]int, n)
		}
		counts[act][c]++
	}
	a := p.Phones.CarriageByActivity
	want := map[string][]float64{"sleep": a.Sleep, "home": a.Home, "bus": a.Commute, "work": a.Desk, "school": a.Desk, "cafe": a.Cafe}
	for act, shares := range want {
		cs := counts[act]
		total := 0
		for _, x := range cs {
			total += x
		}
		if total < 200 {
			t.Fatalf("%s: only %d stays", act, total)
		}
		for c, share := range shares {
			got := float64(cs[c]) / float64(total)
			if sd := math.Sqrt(share * (1 - share) / float64(total)); math.Abs(got-share) > 4*sd+1e-9 {
				t.Errorf("%s: %v share %.3f, want %.3f", act, radio.Carriage(c), got, share)
			}
		}
	}
}

func TestActivityCarriageValidate(t *testing.T) {
	p := Default(10)
	p.Phones.CarriageByActivity.Home = []float64{0.5, 0.5}
	p.Phones.CarriageByActivity.Cafe = []float64{0.5, 0.5, 0, 0, 0, 0.5}
	errs := check.Errors(p.Validate())
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	for _, f := range []string{"population.phones.carriage_by_activity.home", "population.phones.carriage_by_activity.cafe"} {
		if !slices.Contains(fields, f) {
			t.Errorf("errors %v, want one on %s", errs, f)
		}
	}
	def := DefaultActivityCarriage()
	for _, s := range [][]float64{def.Sleep, def.Home, def.Commute, def.Desk, def.Market, def.Cafe} {
		var sum float64
		for _, x := range s {
			sum += x
		}
		if len(s) != len(radio.Carriages()) || math.Abs(sum-1) > 1e-9 {
			t.Errorf("default shares %v", s)
		}
	}
}
