package agents

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/radio"
)

// Experiment is a measurement set-up instead of a synthesised town: named
// handsets placed at given positions in one venue (a tram, a queue, a
// restaurant, a room), each with its phone model, OS and carriage, for
// sessions of given length, repeated with fresh draws. Each session is a
// fresh set of people carrying the handsets (so every radio draw is new)
// in a fresh copy of the venue; the handsets' positions are the ground
// truth. A scenario's `experiment:` block.
type Experiment struct {
	// Venue is the place the handsets are in.
	Venue ExperimentVenue `yaml:"venue"`
	// Handsets are the phones and where they are.
	Handsets []Handset `yaml:"handsets"`
	// Bodies are people without a tracked phone standing or sitting in
	// the venue (metres, venue coordinates): they shadow the links that
	// pass through them, as the handsets' carriers do.
	Bodies []Point `yaml:"bodies"`
	// Sessions is the schedule: how long a session lasts and how many a
	// day; the scenario's days repeat it.
	Sessions Sessions `yaml:"sessions"`
	// Foreground is the share of time a non-GAEN app is open on screen
	// on an iPhone (as population.phones.foreground).
	Foreground float64 `yaml:"foreground"`
}

// ExperimentVenue is the venue of an experiment: a box of WidthM × DepthM
// metres cut by walls into Rooms rooms of equal width along x.
type ExperimentVenue struct {
	// Kind labels the venue in the outputs' venue breakdown: home,
	// school, work, market, cafe, bus, tram, queue or room.
	Kind Kind `yaml:"kind"`
	// Environment is the radio environment: indoor, outdoor or vehicle.
	Environment radio.Environment `yaml:"environment"`
	// WidthM and DepthM are the venue's size in metres (x and y).
	WidthM float64 `yaml:"width_m"`
	DepthM float64 `yaml:"depth_m"`
	// Rooms cuts the venue into this many rooms side by side along x,
	// one wall apart (1: no walls).
	Rooms int `yaml:"rooms"`
}

// Handset is one phone of an experiment.
type Handset struct {
	// Name identifies the handset (unique in the experiment).
	Name string `yaml:"name"`
	// X and Y are its position in metres (venue coordinates).
	X float64 `yaml:"x"`
	Y float64 `yaml:"y"`
	// OS is android or ios.
	OS radio.OS `yaml:"os"`
	// Model names the phone model; handsets of one model share its radio
	// offsets (radio.Model.ModelOffsets), as the GAEN calibration table
	// lists them per model.
	Model string `yaml:"model"`
	// Carriage is where the phone is: hand, front-pocket, back-pocket,
	// shirt-pocket, bag or table.
	Carriage radio.Carriage `yaml:"carriage"`
}

// Point is a position in metres.
type Point struct {
	X float64 `yaml:"x"`
	Y float64 `yaml:"y"`
}

// Sessions is an experiment's daily schedule.
type Sessions struct {
	// Minutes is how long one session lasts.
	Minutes int `yaml:"minutes"`
	// PerDay is how many sessions a day; each is a fresh repetition.
	PerDay int `yaml:"per_day"`
	// StartMinute is when the first session of a day starts, in minutes
	// after midnight (UTC).
	StartMinute int `yaml:"start_minute"`
	// GapMinutes separates one session's end from the next one's start.
	GapMinutes int `yaml:"gap_minutes"`
}

// Validate reports every problem with the set-up, each a *check.Error
// naming its scenario key ("experiment.handsets[2].x").
func (e *Experiment) Validate() error {
	l := check.New("experiment")
	v := &e.Venue
	if v.Kind >= NumKinds {
		l.Add("venue.kind", "unknown venue kind %d", v.Kind)
	}
	l.Between("venue.width_m", v.WidthM, 0.1, 1000)
	l.Between("venue.depth_m", v.DepthM, 0.1, 1000)
	l.IntBetween("venue.rooms", v.Rooms, 1, 100)
	if n := len(e.Handsets); n < 2 || n > 1000 {
		l.Add("handsets", "want 2 to 1000 handsets, got %d", n)
	}
	seen := map[string]int{}
	for i, h := range e.Handsets {
		f := check.Index("handsets", i)
		if strings.TrimSpace(h.Name) == "" {
			l.Add(f+".name", "must not be empty")
		} else if j, ok := seen[h.Name]; ok {
			l.Add(f+".name", "%q is also the name of handsets[%d]", h.Name, j)
		} else {
			seen[h.Name] = i
		}
		l.Between(f+".x", h.X, 0, v.WidthM)
		l.Between(f+".y", h.Y, 0, v.DepthM)
		if strings.TrimSpace(h.Model) == "" {
			l.Add(f+".model", "must name the phone model")
		}
	}
	for i, b := range e.Bodies {
		f := check.Index("bodies", i)
		l.Between(f+".x", b.X, 0, v.WidthM)
		l.Between(f+".y", b.Y, 0, v.DepthM)
	}
	if len(e.Bodies) > 10000 {
		l.Add("bodies", "want at most 10000 bodies, got %d", len(e.Bodies))
	}
	s := &e.Sessions
	l.IntBetween("sessions.minutes", s.Minutes, 1, MinutesPerDay)
	l.IntBetween("sessions.per_day", s.PerDay, 1, MinutesPerDay)
	l.IntBetween("sessions.start_minute", s.StartMinute, 0, MinutesPerDay-1)
	l.IntBetween("sessions.gap_minutes", s.GapMinutes, 0, MinutesPerDay)
	if s.Minutes > 0 && s.PerDay > 0 && s.GapMinutes >= 0 && s.StartMinute >= 0 {
		if end := s.StartMinute + s.PerDay*s.Minutes + (s.PerDay-1)*s.GapMinutes; end > MinutesPerDay {
			l.Add("sessions", "%d sessions of %d minutes %d minutes apart from minute %d end at minute %d, after the day (1440)",
				s.PerDay, s.Minutes, s.GapMinutes, s.StartMinute, end)
		}
	}
	l.Fraction("foreground", e.Foreground)
	return l.Err()
}

// Room is the room of x: the venue's rooms are equal slices along x.
func (v *ExperimentVenue) Room(x float64) int16 {
	r := int(x / (v.WidthM / float64(v.Rooms)))
	return int16(min(max(r, 0), v.Rooms-1))
}

// ModelNumber is the model number of a named phone model: iPhones have
// bit 15 set, as in a synthesised population. Equal names give equal
// numbers, so handsets of one model share its radio offsets.
func ModelNumber(name string, os radio.OS) uint16 {
	h := fnv.New32a()
	h.Write([]byte(name))
	m := uint16(h.Sum32() & 0x7fff)
	if os == radio.IOS {
		m |= 1 << 15
	}
	return m
}

// maxExperimentPeople bounds an experiment's people (handsets × sessions).
const maxExperimentPeople = 5_000_000

// BuildExperiment makes the population of an experiment run over days:
// one site per session (days × sessions.per_day of them), each a copy of
// the venue with the handsets' positions as its seats, and one person per
// handset and session, carrying that handset. Every person owns a
// smartphone and keeps Bluetooth on; each is an index case on the day of
// its session (Population.IndexDay), so every pair of handsets is scored
// in both directions. Radio parameters give the spread of the phone
// models' offsets.
func BuildExperiment(e Experiment, days int, rp radio.Params, seed uint64) (*Population, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if days < 1 {
		return nil, fmt.Errorf("experiment: %d days, want at least 1", days)
	}
	sessions := days * e.Sessions.PerDay
	n := sessions * len(e.Handsets)
	if n > maxExperimentPeople {
		return nil, fmt.Errorf("experiment: %d handsets × %d sessions is %d people, more than %d",
			len(e.Handsets), sessions, n, maxExperimentPeople)
	}
	model, err := radio.NewModel(rp)
	if err != nil {
		return nil, err
	}
	v := e.Venue
	lay := &Layout{}
	for _, h := range e.Handsets {
		p := Pos{float32(h.X), float32(h.Y)}
		lay.Seats = append(lay.Seats, p)
		lay.Bodies = append(lay.Bodies, p)
	}
	for _, b := range e.Bodies {
		lay.Bodies = append(lay.Bodies, Pos{float32(b.X), float32(b.Y)})
	}
	pop := &Population{
		Params: Params{Size: n, Phones: Phones{Foreground: e.Foreground}},
		Seed:   seed, People: make([]Person, 0, n), Ownership: 1,
		IndexDay: make([]int16, 0, n),
	}
	pop.sessions = make([][]Stay, days)
	for s := range sessions {
		day, k := s/e.Sessions.PerDay, s%e.Sessions.PerDay
		site := pop.addSite(Site{Kind: v.Kind, Env: v.Environment, Rooms: int32(v.Rooms),
			RoomW: float32(v.WidthM / float64(v.Rooms)), RoomD: float32(v.DepthM), Pitch: 1, Layout: lay})
		start := e.Sessions.StartMinute + k*(e.Sessions.Minutes+e.Sessions.GapMinutes)
		for hi, h := range e.Handsets {
			i := int32(len(pop.People))
			m := ModelNumber(h.Model, h.OS)
			pop.People = append(pop.People, Person{
				Age: 30, Flags: FlagPhone, OS: h.OS, Carriage: h.Carriage,
				Household: i, HomeSite: -1, DaySite: -1, BusSite: -1, Market: -1,
				InstallU: float32(Uniform(seed, SubInstall, uint64(i))),
				Model:    m, Offsets: model.ModelOffsets(seed, uint64(m)),
			})
			pop.IndexDay = append(pop.IndexDay, int16(day))
			pop.sessions[day] = append(pop.sessions[day], Stay{Person: i, Site: site, Room: v.Room(h.X),
				Seat: int16(hi), Start: int16(start), End: int16(start + e.Sessions.Minutes)})
		}
	}
	pop.Households = n
	return pop, nil
}

// Layout is a site whose seats and bodies are placed by hand (an
// experiment's venue) rather than on the site's grid.
type Layout struct {
	// Seats are the positions of seats 0, 1, ... in site coordinates.
	Seats []Pos
	// Bodies are where people stand or sit: they shadow links that pass
	// through them (the seats' occupants included).
	Bodies []Pos
}

// corridor is the half-width, and ownBody the radius around each phone
// that counts as its own carrier, of the bodies-in-between test: bodies
// in a 0.5 m wide corridor between two phones (the engine's estimate for
// sites without a layout, radio.md §1.7 person_between_db), less the two
// carriers themselves.
const (
	corridor = 0.25
	ownBody  = 0.3
)

// PeopleBetween is the number of people standing between two phones at a
// and b, distance d apart: for a site with a Layout, the bodies in a
// 0.5 m wide corridor from a to b, leaving out its first and last 0.3 m
// (where the phones' own carriers are); otherwise the engine's estimate from the
// density of people present (people per square metre).
func (s *Site) PeopleBetween(a, b Pos, d, density float32) int {
	if s.Layout == nil {
		return int(density * d * 0.5) // bodies in a 0.5 m corridor between the phones
	}
	ax, ay := float64(a.X), float64(a.Y)
	dx, dy := float64(b.X)-ax, float64(b.Y)-ay
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return 0
	}
	l := math.Sqrt(l2)
	n := 0
	for _, p := range s.Layout.Bodies {
		px, py := float64(p.X)-ax, float64(p.Y)-ay
		along := (px*dx + py*dy) / l // distance along a→b
		if along <= ownBody || along >= l-ownBody {
			continue
		}
		if math.Abs(px*dy-py*dx)/l < corridor {
			n++
		}
	}
	return n
}
