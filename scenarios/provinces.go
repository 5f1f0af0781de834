package scenarios

import (
	"fmt"
	"slices"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/agents/geo"
)

// ProvincePart is one province of a scenario whose census area is
// simulated one province per run (population.travel.mixing: separate).
type ProvincePart struct {
	// Index is the province's place in the area's province list (census
	// order); Province its slug; People the people it simulates.
	Index    int
	Province string
	People   int
	// Scenario is the part's own scenario: the whole scenario with
	// population.part set to the province, its size, and its own seed.
	Scenario Scenario
}

// ProvinceSeed is the seed of a province's part: the scenario's seed
// hashed with the province's row in the census file (vietnam.md §1.1), so
// provinces draw independent random numbers and a province's part is the
// same whichever other provinces the area lists.
func ProvinceSeed(seed uint64, province string) (uint64, error) {
	c, err := geo.Load()
	if err != nil {
		return 0, err
	}
	i := slices.Index(c.ProvinceSlugs(), province)
	if i < 0 {
		return 0, fmt.Errorf("unknown province %q", province)
	}
	return agents.Mix(seed, 0x70726f76696e6365, uint64(i)), nil // "province"
}

// SplitProvinces returns the parts of a scenario simulated province by
// province (sc.Population.Separate()), in census order, each validated.
// Each part is an ordinary single-province run of the same scenario: its
// travellers still go to the other provinces of the area, meeting there
// only fellow travellers (population.travel).
func SplitProvinces(sc Scenario) ([]ProvincePart, error) {
	if !sc.Population.Separate() {
		return nil, fmt.Errorf("scenario %s is not simulated province by province (population.area %q, travel.mixing %s)",
			sc.Name, sc.Population.Area, sc.Population.Travel.Mixing)
	}
	provs, err := sc.Population.Provinces()
	if err != nil {
		return nil, err
	}
	out := make([]ProvincePart, 0, len(provs))
	for i, p := range provs {
		part := sc
		part.Population.Part = p
		n, ok := part.Population.CensusSize()
		if !ok {
			return nil, fmt.Errorf("province %s: no census size at scale %v", p, sc.Population.Scale)
		}
		part.Population.Size = n
		if part.Seed, err = ProvinceSeed(sc.Seed, p); err != nil {
			return nil, err
		}
		if errs := Validate(&part); len(errs) > 0 {
			return nil, fmt.Errorf("province %s: %w", p, errs)
		}
		out = append(out, ProvincePart{Index: i, Province: p, People: n, Scenario: part})
	}
	return out, nil
}
