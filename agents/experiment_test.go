package agents

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/radio"
)

// twoRooms is a set-up of three handsets, two in the left room of a
// two-room venue and one behind the wall, with a bystander between the
// two on the left.
func twoRooms() Experiment {
	return Experiment{
		Venue: ExperimentVenue{Kind: Room, Environment: radio.Indoor, WidthM: 8, DepthM: 4, Rooms: 2},
		Handsets: []Handset{
			{Name: "a", X: 0.5, Y: 2, OS: radio.Android, Model: "pixel-4", Carriage: radio.Hand},
			{Name: "b", X: 3.5, Y: 2, OS: radio.IOS, Model: "iphone-11", Carriage: radio.Table},
			{Name: "c", X: 5, Y: 2, OS: radio.Android, Model: "pixel-4", Carriage: radio.Bag},
		},
		Bodies:   []Point{{X: 2, Y: 2.1}},
		Sessions: Sessions{Minutes: 20, PerDay: 3, StartMinute: 600, GapMinutes: 10},
	}
}

func TestBuildExperiment(t *testing.T) {
	e := twoRooms()
	pop, err := BuildExperiment(e, 2, radio.DefaultParams(), 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(pop.People) != 2*3*3 || len(pop.Sites) != 6 || pop.Ownership != 1 {
		t.Fatalf("%d people, %d sites, ownership %v; want 18, 6, 1", len(pop.People), len(pop.Sites), pop.Ownership)
	}
	for day := range 2 {
		st := pop.Stays(nil, day, false)
		if len(st) != 9 {
			t.Fatalf("day %d: %d stays, want 9", day, len(st))
		}
		for i, s := range st {
			k, h := int(s.Site)%3, i%3
			p := &pop.People[s.Person]
			if int(s.Person) != day*9+i || int(s.Seat) != h || int(pop.IndexDay[s.Person]) != day {
				t.Fatalf("day %d stay %d: %+v (index day %d)", day, i, s, pop.IndexDay[s.Person])
			}
			if want := 600 + k*30; int(s.Start) != want || int(s.End) != want+20 {
				t.Fatalf("session %d from %d to %d, want %d to %d", k, s.Start, s.End, want, want+20)
			}
			if p.OS != e.Handsets[h].OS || p.Carriage != e.Handsets[h].Carriage || !p.Has(FlagPhone) {
				t.Fatalf("person %d: %+v, handset %+v", s.Person, p, e.Handsets[h])
			}
			site := &pop.Sites[s.Site]
			if got := site.SeatPos(int(s.Room), int(s.Seat)); got != (Pos{float32(e.Handsets[h].X), float32(e.Handsets[h].Y)}) {
				t.Fatalf("handset %s at %v", e.Handsets[h].Name, got)
			}
			if site.Kind != Room || site.Env != radio.Indoor {
				t.Fatalf("site %+v", site)
			}
		}
		// a and b share the left room; c is behind the wall.
		if Walls(st[0].Room, st[1].Room) != 0 || Walls(st[0].Room, st[2].Room) != 1 {
			t.Fatalf("rooms %d %d %d", st[0].Room, st[1].Room, st[2].Room)
		}
	}
	if pop.Stays(nil, 2, false) != nil {
		t.Fatal("stays after the last day")
	}
	// One model, one set of offsets; a fresh person per session.
	if pop.People[0].Offsets != pop.People[2].Offsets || pop.People[0].Model == pop.People[1].Model {
		t.Fatal("models' offsets are not shared by model")
	}
	if pop.People[1].Model&(1<<15) == 0 || pop.People[0].Model&(1<<15) != 0 {
		t.Fatal("iPhone model numbers have bit 15 set, Android ones not")
	}
	again, _ := BuildExperiment(e, 2, radio.DefaultParams(), 9)
	if !reflect.DeepEqual(again.People, pop.People) || !reflect.DeepEqual(again.Stays(nil, 1, false), pop.Stays(nil, 1, false)) {
		t.Fatal("same experiment and seed, different population")
	}
}

func TestExperimentValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Experiment)
		field string
	}{
		{"one handset", func(e *Experiment) { e.Handsets = e.Handsets[:1] }, "experiment.handsets"},
		{"same name", func(e *Experiment) { e.Handsets[2].Name = "a" }, "experiment.handsets[2].name"},
		{"outside", func(e *Experiment) { e.Handsets[1].X = 9 }, "experiment.handsets[1].x"},
		{"no model", func(e *Experiment) { e.Handsets[0].Model = " " }, "experiment.handsets[0].model"},
		{"body outside", func(e *Experiment) { e.Bodies[0].Y = -1 }, "experiment.bodies[0].y"},
		{"no rooms", func(e *Experiment) { e.Venue.Rooms = 0 }, "experiment.venue.rooms"},
		{"past midnight", func(e *Experiment) { e.Sessions.PerDay = 40 }, "experiment.sessions"},
		{"zero minutes", func(e *Experiment) { e.Sessions.Minutes = 0 }, "experiment.sessions.minutes"},
		{"foreground", func(e *Experiment) { e.Foreground = 2 }, "experiment.foreground"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := twoRooms()
			if err := e.Validate(); err != nil {
				t.Fatalf("valid set-up: %v", err)
			}
			tc.edit(&e)
			errs := check.Errors(e.Validate())
			if !slices.ContainsFunc(errs, func(x *check.Error) bool { return x.Field == tc.field }) {
				t.Fatalf("errors %v, want one on %s", errs, tc.field)
			}
			if _, err := BuildExperiment(e, 1, radio.DefaultParams(), 1); err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("BuildExperiment: %v, want an error naming %s", err, tc.field)
			}
		})
	}
}

func TestPeopleBetween(t *testing.T) {
	lay := &Layout{Bodies: []Pos{{0, 0}, {4, 0}, {2, 0.1}, {1, 0.3}, {3, -0.2}, {0.2, 0}, {2, 2}}}
	site := &Site{Layout: lay}
	// From (0,0) to (4,0): the ends' carriers and the body 0.2 m from a
	// are left out, (1, 0.3) is outside the 0.25 m half-width, (2, 0.1)
	// and (3, -0.2) count.
	if n := site.PeopleBetween(Pos{0, 0}, Pos{4, 0}, 4, 99); n != 2 {
		t.Errorf("%d people between, want 2", n)
	}
	if n := site.PeopleBetween(Pos{0, 0}, Pos{0, 0}, 0, 99); n != 0 {
		t.Errorf("%d people between a phone and itself", n)
	}
	// Without a layout, the density estimate: 2 people/m² over 3 m.
	if n := (&Site{}).PeopleBetween(Pos{}, Pos{3, 0}, 3, 2); n != 3 {
		t.Errorf("%d people between by density, want 3", n)
	}
}

func TestVenuesOff(t *testing.T) {
	base := build(t, 4000, 3)
	all := base.Stays(nil, 2, false)
	for _, k := range []Kind{Home, School, Work, Market, Cafe, Bus} {
		p := Default(4000)
		switch k {
		case Home:
			p.Venues.Homes = false
		case School:
			p.Venues.Schools = false
		case Work:
			p.Venues.Work = false
		case Market:
			p.Venues.Markets = false
		case Cafe:
			p.Venues.Cafes = false
		case Bus:
			p.Venues.Buses = false
		}
		pop, err := Build(p, radio.DefaultParams(), 3)
		if err != nil {
			t.Fatal(err)
		}
		got := pop.Stays(nil, 2, false)
		var want []Stay
		for _, s := range all {
			if pop.Sites[s.Site].Kind != k {
				want = append(want, s)
			}
		}
		if len(want) == len(all) {
			t.Fatalf("%v: the town has no stays there", k)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v off: %d stays, want the %d others unchanged", k, len(got), len(want))
		}
	}
}

func TestBusRides(t *testing.T) {
	count := func(rides int) (perRider float64, riders int) {
		p := Default(4000)
		p.BusShare, p.BusRides = 0.5, rides
		pop, err := Build(p, radio.DefaultParams(), 4)
		if err != nil {
			t.Fatal(err)
		}
		byPerson := map[int32]int{}
		for _, s := range pop.Stays(nil, 0, false) { // a weekday
			if pop.Sites[s.Site].Kind == Bus {
				byPerson[s.Person]++
			}
			if s.End <= s.Start {
				t.Fatalf("empty stay %+v", s)
			}
		}
		n := 0
		for _, c := range byPerson {
			n += c
		}
		if len(byPerson) == 0 {
			return 0, 0
		}
		return float64(n) / float64(len(byPerson)), len(byPerson)
	}
	for _, rides := range []int{1, 2, 4, 6} {
		got, riders := count(rides)
		if riders == 0 || got != float64(rides) {
			t.Errorf("bus_rides %d: %.2f rides per rider (%d riders)", rides, got, riders)
		}
	}
	if _, riders := count(0); riders != 0 {
		t.Errorf("bus_rides 0: %d riders", riders)
	}
	p := Default(10)
	p.BusRides = 3
	if errs := check.Errors(p.Validate()); len(errs) != 1 || errs[0].Field != "population.bus_rides" {
		t.Errorf("bus_rides 3: %v", errs)
	}
}
