package agents

import (
	"math"
	"slices"

	"github.com/bluesim/bluesim/agents/geo"
	"github.com/bluesim/bluesim/radio"
)

// travelPlan holds what day trips between provinces need: for each
// simulated province, the destinations and their weights, and the coaches
// and venues of each (home, destination) pair.
type travelPlan struct {
	// homes are the simulated provinces, in area order; areaHome maps an
	// area to its index in homes.
	homes    []travelHome
	areaHome []int
	// dests are every province of the area (census order) with their
	// region and population.
	dests []travelDest
}

type travelHome struct {
	slug   string
	region string
	// same and all are candidate destinations (indices into dests) with
	// cumulative population weights: same-region ones, and every one.
	same, all       []int
	sameCum, allCum []float64
	// coaches[d] are the coach sites to destination d; visit[d] the
	// venue visited there ([rural, urban] markets built from the
	// destination's structure, separate mixing only).
	coaches [][]int32
	visit   [][2]int32
}

type travelDest struct {
	slug, region string
	people       float64 // census population (weights)
	urbanShare   float64
	// markets are the destination's real markets when it is simulated in
	// the same population (joint mixing): per cluster, the cluster's
	// people and its market range.
	clusters []int
}

// buildTravel prepares day trips when the area has more than one province
// (see Travel). Sites for coaches, and under separate mixing for the
// venues visited, are added to the population; a person's trips are drawn
// day by day in Stays.
func (pop *Population) buildTravel() error {
	g := &pop.Params.Geography
	t := &g.Travel
	provs, err := g.Provinces()
	if err != nil || len(provs) < 2 || t.Daily == 0 {
		return err
	}
	c, err := geo.Load()
	if err != nil {
		return err
	}
	tp := &travelPlan{areaHome: make([]int, len(pop.Areas))}
	for _, s := range provs {
		p, _ := c.Province(s)
		tp.dests = append(tp.dests, travelDest{slug: s, region: p.Region, people: float64(p.Population), urbanShare: p.UrbanShare()})
	}
	for ci := range pop.Clusters {
		k := pop.Clusters[ci].Area
		d := slices.IndexFunc(tp.dests, func(x travelDest) bool { return x.slug == pop.Areas[k].Province })
		tp.dests[d].clusters = append(tp.dests[d].clusters, ci)
	}
	p := pop.Params
	for k := range pop.Areas {
		slug := pop.Areas[k].Province
		h := slices.IndexFunc(tp.homes, func(x travelHome) bool { return x.slug == slug })
		if h >= 0 {
			tp.areaHome[k] = h
			continue
		}
		home := travelHome{slug: slug, region: pop.Areas[k].Region}
		var adults float64
		for j := range pop.Areas {
			if pop.Areas[j].Province == slug {
				adults += float64(pop.Areas[j].People) * 0.65 // about 18-64 (vietnam.md §3.1: 15-64 is 68 %)
			}
		}
		var sameW, allW float64
		for d, dest := range tp.dests {
			if dest.slug == slug {
				continue
			}
			allW += dest.people
			home.all = append(home.all, d)
			home.allCum = append(home.allCum, allW)
			if dest.region == home.region {
				sameW += dest.people
				home.same = append(home.same, d)
				home.sameCum = append(home.sameCum, sameW)
			}
		}
		home.coaches = make([][]int32, len(tp.dests))
		home.visit = make([][2]int32, len(tp.dests))
		// Seat the expected day's travellers to each destination with
		// room to spare: coaches of bus_capacity, enough for twice the
		// expected riders.
		for _, d := range home.all {
			share := tp.dests[d].people / allW
			if len(home.same) > 0 {
				share = (1 - t.SameRegion) * share
				if tp.dests[d].region == home.region {
					share += t.SameRegion * tp.dests[d].people / sameW
				}
			}
			riders := adults * t.Daily * share
			nc := max(1, int(math.Ceil(2*riders/float64(p.BusCapacity))))
			rows := float32((p.BusCapacity + 3) / 4)
			for range nc {
				home.coaches[d] = append(home.coaches[d], pop.addTravelSite(Site{Kind: Bus, Env: radio.Vehicle, Rooms: 1,
					RoomW: 2.4, RoomD: rows * 0.8, Pitch: 0.6}, k))
			}
			if t.Mixing == MixSeparate {
				// A market of the destination's size at this scale, urban or
				// village, holding only this province's travellers.
				for s, set := range []*Settlement{&g.Rural, &g.Urban} {
					served := math.Max(float64(g.ClusterMinPeople), math.Round(float64(g.CommunePeople)*g.Scale))
					if set.PeoplePerMarket > 0 {
						served = math.Min(served, float64(set.PeoplePerMarket))
					}
					side := float32(math.Max(10, math.Sqrt(served*sqmPerMarketPerson)))
					home.visit[d][s] = pop.addTravelSite(Site{Kind: Market, Env: radio.Outdoor, Rooms: 1,
						RoomW: side, RoomD: side, Aisle: 3}, k)
				}
			}
		}
		tp.homes = append(tp.homes, home)
		tp.areaHome[k] = len(tp.homes) - 1
	}
	pop.travel = tp
	return nil
}

// addTravelSite adds a coach or visited venue, counted in the home area k
// and placed at its province's reference point.
func (pop *Population) addTravelSite(s Site, k int) int32 {
	s.Area, s.Cluster = int32(k), -1
	return pop.addSite(s)
}

// trip is one person's day trip: the coach and the venue visited.
type trip struct {
	coach, venue int32
}

// tripOn reports whether person i makes a day trip on day, and where to:
// people aged 18-64 go with probability travel.daily, to a province of
// their region with probability travel.same_region, otherwise to any other
// province, in proportion to population. Draws are counter-based, keyed by
// (seed, travel, person, day), so they shift no other draw.
func (pop *Population) tripOn(i, day int) (trip, bool) {
	tp := pop.travel
	pp := &pop.People[i]
	t := &pop.Params.Travel
	if pp.Age < 18 || pp.Age > 64 {
		return trip{}, false
	}
	if Uniform(pop.Seed, SubTravel, uint64(i), uint64(day), 0) >= t.Daily {
		return trip{}, false
	}
	k := pop.Sites[pp.HomeSite].Area
	h := &tp.homes[tp.areaHome[k]]
	cands, cum := h.all, h.allCum
	if len(h.same) > 0 && Uniform(pop.Seed, SubTravel, uint64(i), uint64(day), 1) < t.SameRegion {
		cands, cum = h.same, h.sameCum
	}
	x := Uniform(pop.Seed, SubTravel, uint64(i), uint64(day), 2) * cum[len(cum)-1]
	j, _ := slices.BinarySearch(cum, x)
	d := cands[min(j, len(cands)-1)]
	coaches := h.coaches[d]
	tr := trip{coach: coaches[int(Uniform(pop.Seed, SubTravel, uint64(i), uint64(day), 3)*float64(len(coaches)))]}
	u := Uniform(pop.Seed, SubTravel, uint64(i), uint64(day), 4)
	if t.Mixing == MixSeparate {
		s := rural
		if u < tp.dests[d].urbanShare {
			s = urban
		}
		tr.venue = h.visit[d][s]
		return tr, true
	}
	// Joint: a real market of the destination, of a cluster drawn in
	// proportion to its people.
	cls := tp.dests[d].clusters
	var tot float64
	for _, c := range cls {
		tot += float64(pop.Clusters[c].People)
	}
	x = u * tot
	c := cls[len(cls)-1]
	for _, ci := range cls {
		if x < float64(pop.Clusters[ci].People) {
			c = ci
			break
		}
		x -= float64(pop.Clusters[ci].People)
	}
	cl := &pop.Clusters[c]
	m := int32(Uniform(pop.Seed, SubTravel, uint64(i), uint64(day), 5) * float64(cl.MarketN))
	tr.venue = pop.Markets[cl.MarketFirst+m]
	return tr, true
}

// tripStays appends a day trip's stays: asleep at home until 06:00, the
// coach out, the market visit, the coach back at 16:00 (the same coach,
// seated anywhere), home for the evening.
func (pop *Population) tripStays(dst []Stay, i int, tr trip) []Stay {
	t := &pop.Params.Travel
	pp := &pop.People[i]
	at := func(site int32, room, seat int16, from, to int) {
		if to > from {
			dst = append(dst, Stay{Person: int32(i), Site: site, Room: room, Seat: seat, Start: int16(from), End: int16(to)})
		}
	}
	coach, visit := t.CoachMinutes, t.VisitMinutes
	leave := 360
	at(pp.HomeSite, pp.HomeRoom, pp.Bed, 0, leave-15)
	at(pp.HomeSite, pp.HomeRoom, -1, leave-15, leave)
	at(tr.coach, 0, -1, leave, leave+coach)
	at(tr.venue, 0, -1, leave+coach, leave+coach+visit)
	// The coach home leaves at 16:00 (or straight after the visit if that
	// ends later); the hours between, spent elsewhere at the destination,
	// are not simulated.
	back := max(leave+coach+visit, 16*60)
	at(tr.coach, 0, -1, back, back+coach)
	home := back + coach
	at(pp.HomeSite, pp.HomeRoom, -1, home, max(home, 22*60))
	at(pp.HomeSite, pp.HomeRoom, pp.Bed, max(home, 22*60), MinutesPerDay)
	return dst
}
