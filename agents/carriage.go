package agents

import (
	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/radio"
)

// ActivityCarriage says where phones are during each kind of stay: a
// phone is in a pocket on the bus, on the bedside table at night, on the
// desk at work, in a bag or a hand at the market. When Enabled, each stay
// draws its own carriage from the shares of its activity (per person, day
// and stay, from the stream SubCarriage), instead of every stay using the
// person's one carriage (Phones.Carriage). The body losses of each
// placement are radio.Params.BodyLossDB (radio.md §1.7: PACT's losses per
// placement). Each list holds the shares of hand, front pocket, back
// pocket, shirt pocket, bag and table, in that order (radio.Carriages),
// summing to 1.
//
// Where the shares come from: in bed, Common Sense Media's 2019 survey
// (12 % of adults keep the phone in bed, 74 % within reach) and Pew's
// 2010 one (65 % of adults sleep with it on or next to the bed): 12 % in
// hand (in the bed), the rest on the bedside table. Walking round the
// market, 38 % of people walking alone hold their phone in the hand
// ("The phone walkers: a study of human dependence on inactive mobile
// devices", Behaviour, 2018).
// The table shares at home, at a desk and at a café table (50 %) are an
// assumption (Leith & Farrell, ACM SIGCOMM CCR 2020, note that phones put
// on the table are easier to detect; Wiese et al., CHI 2013, name table,
// pocket and bag as where phones are kept). What is neither in a hand nor
// on a table is split as the default Phones.Carriage splits pockets and
// bags (street surveys found men's phones mostly in trouser pockets and
// women's in bags: Ichikawa, Chipchase and Grignani, "Where's the phone?",
// Mobility 2005).
type ActivityCarriage struct {
	// Enabled draws a carriage per stay from the shares below; off, every
	// stay uses the person's own carriage (phones.carriage).
	Enabled bool `yaml:"enabled"`
	// Sleep is in bed at home (the person's bed, at night).
	Sleep []float64 `yaml:"sleep"`
	// Home is awake at home or visiting the neighbours.
	Home []float64 `yaml:"home"`
	// Commute is on the bus.
	Commute []float64 `yaml:"commute"`
	// Desk is at school or at work.
	Desk []float64 `yaml:"desk"`
	// Market is at the market.
	Market []float64 `yaml:"market"`
	// Cafe is at a café or restaurant table.
	Cafe []float64 `yaml:"cafe"`
}

// DefaultActivityCarriage is off, with the shares described on
// ActivityCarriage.
func DefaultActivityCarriage() ActivityCarriage {
	// hand, front pocket, back pocket, shirt pocket, bag, table
	return ActivityCarriage{
		Sleep:   []float64{0.12, 0, 0, 0, 0, 0.88},
		Home:    []float64{0.25, 0.12, 0.05, 0.015, 0.065, 0.5},
		Commute: []float64{0.25, 0.35, 0.15, 0.05, 0.2, 0},
		Desk:    []float64{0.15, 0.165, 0.07, 0.025, 0.09, 0.5},
		Market:  []float64{0.38, 0.29, 0.125, 0.04, 0.165, 0},
		Cafe:    []float64{0.2, 0.14, 0.06, 0.02, 0.08, 0.5},
	}
}

// validate adds the problems with a's shares to l under field.
func (a ActivityCarriage) validate(l *check.List, field string) {
	for _, s := range []struct {
		name   string
		shares []float64
	}{{"sleep", a.Sleep}, {"home", a.Home}, {"commute", a.Commute}, {"desk", a.Desk}, {"market", a.Market}, {"cafe", a.Cafe}} {
		l.Shares(field+"."+s.name, s.shares, len(radio.Carriages()))
	}
}

// StayCarriage is where person s.Person's phone is during stay s of day:
// the person's own carriage, or, with Phones.CarriageByActivity enabled,
// a draw from the shares of the stay's activity (in bed, at home, on the
// bus, at a desk, at the market or café). The draw is keyed by (seed,
// person, day, stay start), so every arm and every run of the seed sees
// the same phone in the same place. Venues that only experiments have
// keep the handset's own carriage.
func (pop *Population) StayCarriage(s *Stay, day int) radio.Carriage {
	pp := &pop.People[s.Person]
	a := &pop.Params.Phones.CarriageByActivity
	if !a.Enabled {
		return pp.Carriage
	}
	var shares []float64
	switch pop.Sites[s.Site].Kind {
	case Home:
		shares = a.Home
		if s.Seat >= 0 && s.Seat == pp.Bed && s.Room == pp.HomeRoom && s.Site == pp.HomeSite {
			shares = a.Sleep
		}
	case School, Work:
		shares = a.Desk
	case Bus:
		shares = a.Commute
	case Market:
		shares = a.Market
	case Cafe:
		shares = a.Cafe
	default:
		return pp.Carriage
	}
	u := Uniform(pop.Seed, SubCarriage, uint64(s.Person), uint64(day), uint64(int64(s.Start)))
	c := 0
	for c < len(shares)-1 && u >= shares[c] {
		u -= shares[c]
		c++
	}
	return radio.Carriage(c)
}
