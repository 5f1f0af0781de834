package agents

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bluesim/bluesim/agents/geo"
	"github.com/bluesim/bluesim/check"
)

// Geography places the population in Vietnam's 2019 census geography
// (package agents/geo; shared/reference/vietnam.md). With Area empty, the
// default, the population is a synthetic town of population.size people
// and none of these keys is used.
type Geography struct {
	// Area is what the population is: "" for a synthetic town (the
	// default), a province's slug (nam-dinh, ha-noi, ...: vietnam.md §1.1),
	// several slugs joined by commas, or vietnam for all 63 provinces.
	// With an area, population.size follows the census and scale, ages
	// and household sizes come from the census (vietnam.md §2.2, §3.1,
	// §3.2), and the town's household_size, age_shares, apartment_share,
	// house_width_m, bus_share, people_per_market and people_per_cafe give
	// way to the urban and rural blocks below.
	Area string `yaml:"area"`
	// AreaLevel is the finest unit the population is built from and
	// reported by (the by_area table): district (only Nam Định's are
	// shipped, vietnam.md §2), province, or auto (districts where they
	// are shipped, provinces elsewhere).
	AreaLevel string `yaml:"area_level"`
	// Scale is the share of the census population simulated: 0.01 is a
	// faithful 1 % sample (every area present, its population, urban
	// share, ages and household sizes kept in proportion; venues sized to
	// the people they serve, so crowding is the same as at full size).
	Scale float64 `yaml:"scale"`
	// Part, when set, is the one province of a multi-province area this
	// run simulates; bluesim run sets it when it splits such an area into
	// one run per province (see travel.mixing). Empty: the whole area.
	Part string `yaml:"part"`
	// Urban describes urban wards and townships (phường, thị trấn).
	Urban Settlement `yaml:"urban"`
	// Rural describes rural communes (xã).
	Rural Settlement `yaml:"rural"`
	// CommunePeople is the people per commune-level unit where the census
	// files give no commune count (every province but Nam Định): 7,775,
	// Nam Định's 1,780,393 people over its 229 communes (vietnam.md §2.1
	// [derived]); the 2019 count of communes elsewhere was not read.
	CommunePeople int `yaml:"commune_people"`
	// ClusterMinPeople is the fewest people a commune-sized cluster keeps
	// in a scaled-down sample: below it, communes are merged into fewer,
	// larger clusters (assumption: 100, enough for a village market).
	ClusterMinPeople int `yaml:"cluster_min_people"`
	// Commuting is the share of workers who work in another district of
	// their province, one that borders theirs (vietnam.md §2.1 borders),
	// chosen in proportion to its population. Daily commuting between
	// districts was not found (vietnam.md §6, §8; the census gives only
	// migration: 1.4 % moved between districts of a province in five
	// years), so this is an assumption: 0.1.
	Commuting float64 `yaml:"commuting"`
	// Travel is day trips between the provinces of a multi-province area.
	Travel Travel `yaml:"travel"`
}

// Settlement is what differs between urban and rural areas. Every value
// is an assumption (vietnam.md §7, §8: venues per commune were not found);
// the urban defaults are the town's.
type Settlement struct {
	// ApartmentShare is the share of households in apartment blocks
	// (urban 0.15, the town's; rural 0).
	ApartmentShare float64 `yaml:"apartment_share"`
	// HouseWidthM is the spacing of houses in a row, one wall apart:
	// urban tube houses 4 m, rural houses with yards 12 m.
	HouseWidthM float64 `yaml:"house_width_m"`
	// BusShare is the share of workers and pupils who commute by bus
	// (urban 0.1, the town's; rural 0.03: motorbikes and bicycles).
	BusShare float64 `yaml:"bus_share"`
	// PeoplePerMarket is the people per market (urban 5,000, the town's);
	// 0 means one village market per commune (rural).
	PeoplePerMarket int `yaml:"people_per_market"`
	// PeoplePerCafe is the people per café or eatery (urban 150, the
	// town's; rural 400).
	PeoplePerCafe int `yaml:"people_per_cafe"`
}

// Travel is inter-province day trips. The census gives migration, not
// travel (vietnam.md §6: 3.2 % moved between provinces in five years);
// every value here is an assumption.
type Travel struct {
	// Daily is the probability that a person aged 18-64 makes a day trip
	// to another province of the area on a given day (assumption: 0.002).
	Daily float64 `yaml:"daily"`
	// SameRegion is the share of trips to a province of the traveller's
	// own region (vietnam.md §1.2 regions); destinations are otherwise
	// chosen in proportion to their population (assumption: 0.8).
	SameRegion float64 `yaml:"same_region"`
	// Mixing is how a multi-province area is simulated. separate (the
	// default): each province is its own run, shardable with bluesim run
	// --shard, and a traveller rides a coach and visits a market built
	// from the destination's structure with the other travellers of their
	// home province only; contacts with the destination's residents are
	// left out. joint: all provinces are one population and travellers
	// visit the destination's real markets (one process holds every
	// province; use it to measure what separate leaves out).
	Mixing string `yaml:"mixing"`
	// CoachMinutes is each way's coach ride (assumption: 120).
	CoachMinutes int `yaml:"coach_minutes"`
	// VisitMinutes is the time spent at the destination's market
	// (assumption: 90).
	VisitMinutes int `yaml:"visit_minutes"`
}

// Area levels and travel mixings.
const (
	LevelAuto     = "auto"
	LevelDistrict = "district"
	LevelProvince = "province"
	MixSeparate   = "separate"
	MixJoint      = "joint"
	// AreaVietnam names every province.
	AreaVietnam = "vietnam"
)

func defaultGeography() Geography {
	return Geography{
		AreaLevel: LevelAuto,
		Scale:     1,
		Urban:     Settlement{ApartmentShare: 0.15, HouseWidthM: 4, BusShare: 0.1, PeoplePerMarket: 5000, PeoplePerCafe: 150},
		Rural:     Settlement{ApartmentShare: 0, HouseWidthM: 12, BusShare: 0.03, PeoplePerMarket: 0, PeoplePerCafe: 400},
		// 1,780,393 / 229, vietnam.md §2.1 [derived].
		CommunePeople:    7775,
		ClusterMinPeople: 100,
		Commuting:        0.1,
		Travel:           Travel{Daily: 0.002, SameRegion: 0.8, Mixing: MixSeparate, CoachMinutes: 120, VisitMinutes: 90},
	}
}

// Geographic reports whether the population is built from the census.
func (p *Params) Geographic() bool { return p.Area != "" }

// Provinces returns the provinces of the area, in census order (nil for a
// town).
func (g *Geography) Provinces() ([]string, error) {
	if g.Area == "" {
		return nil, nil
	}
	c, err := geo.Load()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(g.Area) == AreaVietnam {
		return c.ProvinceSlugs(), nil
	}
	var want []string
	for _, s := range strings.Split(g.Area, ",") {
		s = strings.TrimSpace(s)
		if _, ok := c.Province(s); !ok {
			return nil, fmt.Errorf("unknown province %q%s (want a province slug such as nam-dinh, several joined by commas, or %s)",
				s, check.Suggest(s, append(c.ProvinceSlugs(), AreaVietnam)), AreaVietnam)
		}
		if slices.Contains(want, s) {
			return nil, fmt.Errorf("province %q is listed twice", s)
		}
		want = append(want, s)
	}
	// Census order, whatever order the list gives.
	var out []string
	for _, s := range c.ProvinceSlugs() {
		if slices.Contains(want, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Separate reports whether the area is simulated one province per run:
// several provinces, mixing separate, and no part chosen yet.
func (g *Geography) Separate() bool {
	ps, err := g.Provinces()
	return err == nil && len(ps) > 1 && g.Travel.Mixing == MixSeparate && g.Part == ""
}

// validate checks the geography keys (fields under population.).
func (g *Geography) validate(l *check.List, p *Params) {
	if g.Area == "" {
		if g.Scale != 1 {
			l.Add("scale", "is %v, but a scale applies only to a census area: set population.area (e.g. nam-dinh) or leave scale at 1", g.Scale)
		}
		if g.Part != "" {
			l.Add("part", "is %q, but population.area is not set", g.Part)
		}
		return
	}
	provs, err := g.Provinces()
	if err != nil {
		l.Add("area", "%v", err)
		return
	}
	l.OneOf("area_level", "area level", g.AreaLevel, []string{LevelAuto, LevelDistrict, LevelProvince})
	if !(g.Scale > 0 && g.Scale <= 1) {
		l.Add("scale", "must be above 0 and at most 1 (the share of the census population simulated), got %v", g.Scale)
	}
	if g.Part != "" && !slices.Contains(provs, g.Part) {
		l.Add("part", "%q is not a province of population.area (%s)%s", g.Part, g.Area, check.Suggest(g.Part, provs))
	}
	for _, s := range []struct {
		name string
		v    *Settlement
	}{{"urban", &g.Urban}, {"rural", &g.Rural}} {
		f := s.name + "."
		l.Fraction(f+"apartment_share", s.v.ApartmentShare)
		l.Between(f+"house_width_m", s.v.HouseWidthM, 2, 100)
		l.Fraction(f+"bus_share", s.v.BusShare)
		if s.v.PeoplePerMarket != 0 {
			l.IntBetween(f+"people_per_market", s.v.PeoplePerMarket, 10, 1<<30)
		}
		l.IntBetween(f+"people_per_cafe", s.v.PeoplePerCafe, 10, 1<<30)
	}
	l.IntBetween("commune_people", g.CommunePeople, 100, 1_000_000)
	l.IntBetween("cluster_min_people", g.ClusterMinPeople, 1, 1_000_000)
	l.Fraction("commuting", g.Commuting)
	t := &g.Travel
	l.Fraction("travel.daily", t.Daily)
	l.Fraction("travel.same_region", t.SameRegion)
	l.OneOf("travel.mixing", "mixing", t.Mixing, []string{MixSeparate, MixJoint})
	l.IntBetween("travel.coach_minutes", t.CoachMinutes, 1, 600)
	l.IntBetween("travel.visit_minutes", t.VisitMinutes, 1, 600)
	if l.Len() > 0 {
		return
	}
	areas, err := g.layout()
	if err != nil {
		l.Add("scale", "%v", err)
		return
	}
	n, largest := 0, map[string]int{}
	for _, a := range areas {
		n += a.People
		largest[a.Province] += a.People
	}
	// A run holds at most 50 million people (person numbers are int32,
	// with room to spare); separate provinces are separate runs.
	run := n
	if g.Separate() {
		run = 0
		for _, m := range largest {
			run = max(run, m)
		}
	}
	if run > 50_000_000 {
		l.Add("scale", "one run would hold %d people at scale %v, more than a run can (50,000,000): lower the scale or use travel.mixing: separate", run, g.Scale)
	}
	if p.Size != n {
		l.Add("size", "is %d, but population.area %s at scale %v holds %d people: leave size out, it follows the census", p.Size, g.Area, g.Scale, n)
	}
}

// CensusSize returns the number of people a census area holds at its
// scale (the Part province alone when one is picked), and false for a
// town or an area with errors.
func (g *Geography) CensusSize() (int, bool) {
	if g.Area == "" {
		return 0, false
	}
	areas, err := g.layout()
	if err != nil {
		return 0, false
	}
	n := 0
	for _, a := range areas {
		n += a.People
	}
	return n, true
}

// AreaInfo is an area as the scenario validator sees it, before any
// synthesis: its slug, level, province, people at the scenario's scale,
// and the smartphone ownership its ages imply (the census's age bands
// weighted by population.phones.ownership_by_age).
type AreaInfo struct {
	Slug, Name, Province, Level string
	// Census is the 2019 census population, CensusUrban its urban part;
	// People the people simulated at the scenario's scale.
	Census, CensusUrban, People int
	Ownership                   float64
}

// AreaInfos lists every area of the census area in order, whatever Part
// picks (nil for a town).
func (p *Params) AreaInfos() ([]AreaInfo, error) {
	if !p.Geographic() {
		return nil, nil
	}
	g := p.Geography
	g.Part = ""
	areas, err := g.layout()
	if err != nil {
		return nil, err
	}
	own := p.Phones.OwnershipByAge
	out := make([]AreaInfo, len(areas))
	for k := range areas {
		a := &areas[k]
		var o float64
		if len(own) == 9 {
			for s, n := range [2]int{a.People - a.Urban, a.Urban} {
				d := &a.ages[s]
				for b, sh := range d.share {
					o += float64(n) / float64(a.People) * sh * own[ageBand(d.lo[b])]
				}
			}
		}
		out[k] = AreaInfo{Slug: a.Slug, Name: a.Name, Province: a.Province, Level: a.Level,
			Census: a.Census, CensusUrban: a.CensusUrban, People: a.People, Ownership: o}
	}
	return out, nil
}
