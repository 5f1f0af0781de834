package privacy

import (
	"fmt"
	"math"

	"github.com/bluesim/bluesim/check"
)

// Adversary is a scenario's adversary block: a network of passive
// sniffers placed by a Network policy in the simulated town, listening on
// one Scan schedule, and the attacks' thresholds. The simulator runs it on
// every protocol arm (each arm may place its own network) and scores the
// attacks per arm. Off by default.
type Adversary struct {
	// Enabled turns the adversary on: every arm is listened to by the
	// network (the arm's own sniffers, or these) and attacked. Off, the
	// run is exactly the run without an adversary block.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Sniffers is the placement policy of every arm that does not set its
	// own (arms[].sniffers).
	Sniffers Network `yaml:"sniffers" json:"sniffers"`
	// Scan is when every sniffer listens (DefaultScanSchedule: all the
	// time, one record per ID per 10-s window).
	Scan ScanSchedule `yaml:"scan" json:"scan"`
	// SeedStream keys which places of a kind get a sniffer (Place), apart
	// from the scenario's seed: two runs with the same seed and another
	// seed_stream put the same number of sniffers at other places of the
	// same kinds, with the same population.
	SeedStream uint64 `yaml:"seed_stream" json:"seed_stream"`
	// Attack holds the attacks' thresholds (Params), each documented with
	// the source of its default. utc_offset_minutes is 0: the simulator
	// lays its daily schedules on the UTC clock.
	Attack Params `yaml:"attack" json:"attack"`
}

// Network is a placement policy in scenario form: how many sniffers at
// each kind of place, by count or by share of the places of that kind,
// and an optional grid over the whole town. Which places of a kind get a
// sniffer is a nested draw (Place): more sniffers keep every place of
// fewer, so a sweep over a count is a smooth curve.
type Network struct {
	// Markets: sniffers at the town's markets (their centres).
	Markets KindCount `yaml:"markets" json:"markets"`
	// BusStops: sniffers at bus stops, where a commuter bus's riders
	// board (the engine's bus sites stand at their stops).
	BusStops KindCount `yaml:"bus_stops" json:"bus_stops"`
	// SchoolGates: sniffers at school gates.
	SchoolGates KindCount `yaml:"school_gates" json:"school_gates"`
	// Venues: sniffers at other public places: cafés and workplace
	// entrances.
	Venues KindCount `yaml:"venues" json:"venues"`
	// GridSpacingM, when above 0, adds a sniffer at the centre of every
	// cell of a lattice of about this spacing over the whole town (the
	// "sniffers everywhere" case): 0 for none.
	GridSpacingM float64 `yaml:"grid_spacing_m" json:"grid_spacing_m"`
}

// KindCount is how many places of one kind get a sniffer: Count places,
// or Share of them (rounded to the nearest whole place); at most one of
// the two is set.
type KindCount struct {
	// Count is a number of places.
	Count int `yaml:"count" json:"count"`
	// Share is a share of the places of the kind, 0 to 1.
	Share float64 `yaml:"share" json:"share"`
}

// DefaultAdversary is the adversary block's defaults: off, no sniffers,
// the default scan schedule, seed stream 0 and DefaultParams on the UTC
// clock.
func DefaultAdversary() Adversary {
	p := DefaultParams()
	p.UTCOffsetMinutes = 0
	return Adversary{Scan: DefaultScanSchedule(), Attack: p}
}

// IsZero reports whether the network places no sniffer.
func (n Network) IsZero() bool { return n == Network{} }

// Policy is the network as a placement Policy listening on scan.
func (n Network) Policy(scan ScanSchedule) Policy {
	p := Policy{GridSpacingM: n.GridSpacingM, Scan: scan}
	for _, k := range []struct {
		kind PlaceKind
		c    KindCount
	}{{Market, n.Markets}, {BusStop, n.BusStops}, {SchoolGate, n.SchoolGates}, {Venue, n.Venues}} {
		if k.c != (KindCount{}) {
			p.Kinds = append(p.Kinds, KindRule{Kind: k.kind, Count: k.c.Count, Share: k.c.Share})
		}
	}
	return p
}

// Validate reports every out-of-range key of the network as a
// *check.Error, keys relative to the network ("markets.count").
func (n Network) Validate() error {
	l := check.New("")
	n.validate(l, "")
	return l.Err()
}

func (n Network) validate(l *check.List, prefix string) {
	for _, k := range []struct {
		key string
		c   KindCount
	}{{"markets", n.Markets}, {"bus_stops", n.BusStops}, {"school_gates", n.SchoolGates}, {"venues", n.Venues}} {
		f := check.Join(prefix, k.key)
		l.IntBetween(f+".count", k.c.Count, 0, MaxGridSniffers)
		l.Fraction(f+".share", k.c.Share)
		if k.c.Count > 0 && k.c.Share > 0 {
			l.Add(f, "give count or share, not both (count %d, share %v)", k.c.Count, k.c.Share)
		}
	}
	if !check.Finite(n.GridSpacingM) || n.GridSpacingM < 0 {
		l.Add(check.Join(prefix, "grid_spacing_m"), "want a spacing in metres >= 0 (0: no grid), got %v", n.GridSpacingM)
	} else if n.GridSpacingM > 0 && n.GridSpacingM < 1 {
		l.Add(check.Join(prefix, "grid_spacing_m"), "want at least 1 m between grid sniffers (or 0: no grid), got %v", n.GridSpacingM)
	}
}

// Validate reports every out-of-range key of the block as a *check.Error
// whose field is the key under the block ("sniffers.markets.count",
// "scan.window_s", "attack.link.max_gap_s").
func (a Adversary) Validate() error {
	l := check.New("")
	a.Sniffers.validate(l, "sniffers")
	if err := a.Scan.Validate("scan."); err != nil {
		field, msg := splitKey(err.Error())
		l.Add(field, "%s", msg)
	}
	if err := a.Attack.Validate(); err != nil {
		field, msg := splitKey(err.Error())
		l.Add(check.Join("attack", field), "%s", msg)
	}
	return l.Err()
}

// splitKey splits "key: message" as the Validate methods of this package
// write them.
func splitKey(s string) (key, msg string) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ':' && s[i+1] == ' ' {
			return s[:i], s[i+2:]
		}
	}
	return "", s
}

// GridSniffers is how many grid sniffers a spacing puts over a w x h
// metre town (as Place counts them), 0 without a grid.
func GridSniffers(spacingM, w, h float64) int {
	if !(spacingM > 0) {
		return 0
	}
	return int(math.Max(1, math.Round(w/spacingM)) * math.Max(1, math.Round(h/spacingM)))
}

// String is a short description of the network ("2 markets, 50 % of bus
// stops, grid 200 m").
func (n Network) String() string {
	var s string
	add := func(part string) {
		if s != "" {
			s += ", "
		}
		s += part
	}
	for _, k := range []struct {
		name string
		c    KindCount
	}{{"markets", n.Markets}, {"bus stops", n.BusStops}, {"school gates", n.SchoolGates}, {"venues", n.Venues}} {
		switch {
		case k.c.Count > 0:
			add(fmt.Sprintf("%d %s", k.c.Count, k.name))
		case k.c.Share > 0:
			add(fmt.Sprintf("%g %% of %s", 100*k.c.Share, k.name))
		}
	}
	if n.GridSpacingM > 0 {
		add(fmt.Sprintf("grid %g m", n.GridSpacingM))
	}
	if s == "" {
		return "none"
	}
	return s
}
