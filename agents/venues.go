package agents

// Venues switches the venue types of a synthesised town on and off
// (population.venues): a venue that is off makes no contacts, because
// nobody's stays there are simulated, so a study can isolate one setting
// (the buses, say) without tricks such as far-apart one-person households.
// People keep their schedules; the time they would spend at a venue that
// is off is simply outside the simulation.
type Venues struct {
	// Homes are houses and flats, with the evening visits to neighbours.
	Homes bool `yaml:"homes"`
	// Schools are the classes of pupils.
	Schools bool `yaml:"schools"`
	// Work is the workplaces.
	Work bool `yaml:"work"`
	// Markets are the markets shoppers visit.
	Markets bool `yaml:"markets"`
	// Cafes are the cafés and restaurants.
	Cafes bool `yaml:"cafes"`
	// Buses are the commuter buses.
	Buses bool `yaml:"buses"`
}

// AllVenues has every venue type on (the default).
func AllVenues() Venues {
	return Venues{Homes: true, Schools: true, Work: true, Markets: true, Cafes: true, Buses: true}
}

// On reports whether venue type k is simulated. Kinds that only
// experiments have (tram, queue, room) are always on.
func (v Venues) On(k Kind) bool {
	switch k {
	case Home:
		return v.Homes
	case School:
		return v.Schools
	case Work:
		return v.Work
	case Market:
		return v.Markets
	case Cafe:
		return v.Cafes
	case Bus:
		return v.Buses
	}
	return true
}

// dropOff removes from dst[from:] the stays at venue types that are off,
// keeping the order of the others.
func (pop *Population) dropOff(dst []Stay, from int) []Stay {
	v := pop.Params.Venues
	if v == AllVenues() {
		return dst
	}
	k := from
	for _, s := range dst[from:] {
		if v.On(pop.Sites[s.Site].Kind) {
			dst[k] = s
			k++
		}
	}
	return dst[:k]
}
