package agents

import (
	"math"
	"math/rand/v2"

	"github.com/bluesim/bluesim/radio"
)

// Cluster is a commune-sized cluster of a geographic population: a ward,
// township or rural commune of the census, or several merged in a
// scaled-down sample. Homes, markets and cafés belong to one cluster.
type Cluster struct {
	// Area is the cluster's area (Population.Areas).
	Area int32
	// Urban is true for a ward or township, false for a rural commune.
	Urban bool
	// People is the number of people living in it.
	People int32
	// X, Y and RadiusM place it on its province's plane: a disc around
	// (X, Y) inside its area's disc, urban clusters nearest the centre.
	X, Y, RadiusM float32
	// Markets and Cafes are ranges of Population.Markets and
	// Population.Cafes: the cluster's own.
	MarketFirst, MarketN int32
	CafeFirst, CafeN     int32
}

// goldenAngle spreads clusters over an area's disc (a sunflower pattern).
const goldenAngle = 2.399963229728653

// sqmPerMarketPerson is the market floor per person it serves, the
// town's: a 5,000-person market is sqrt(5000·0.7) ≈ 59 m on a side. A
// market sized by the people it serves keeps the same crowding at any
// scale.
const sqmPerMarketPerson = 0.7

// buildGeo synthesises a census population: its areas (districts or
// provinces, vietnam.md §1, §2), commune-sized clusters in each, urban and
// rural households with the census's household sizes and ages, schools,
// workplaces (some across a district border), buses, markets and cafés,
// each site placed on the province's plane, then phones.
func (pop *Population) buildGeo(model *radio.Model) error {
	areas, err := pop.Params.layout()
	if err != nil {
		return err
	}
	pop.Areas = areas
	pop.buildClusters()
	pop.buildGeoHouseholds()
	pop.assignGeoSchools()
	pop.assignGeoWork()
	pop.assignGeoBuses()
	pop.buildGeoPlaces()
	pop.drawPhones(model)
	if err := pop.buildTravel(); err != nil {
		return err
	}
	for i := range pop.Areas {
		pop.Areas[i].People, pop.Areas[i].Households = 0, 0
	}
	owners := make([]int, len(pop.Areas))
	lastHH := int32(-1)
	for i := range pop.People {
		pp := &pop.People[i]
		k := pop.Sites[pp.HomeSite].Area
		a := &pop.Areas[k]
		a.People++
		if pp.Household != lastHH {
			a.Households++
			lastHH = pp.Household
		}
		if pp.Has(FlagPhone) {
			owners[k]++
		}
	}
	for k := range pop.Areas {
		if pop.Areas[k].People > 0 {
			pop.Areas[k].Ownership = float64(owners[k]) / float64(pop.Areas[k].People)
		}
	}
	return nil
}

// buildClusters gives each area its clusters: the census's wards and
// townships (urban) and communes (rural), merged while a cluster would hold
// fewer than cluster_min_people, each holding an equal share of the area's
// urban or rural people. Urban clusters sit nearest the area's centre.
func (pop *Population) buildClusters() {
	g := &pop.Params.Geography
	for k := range pop.Areas {
		a := &pop.Areas[k]
		var counts [2][]int
		for _, s := range []int{urban, rural} {
			n := a.Urban
			if s == rural {
				n = a.People - a.Urban
			}
			if n == 0 {
				continue
			}
			c := max(1, min(max(1, a.communes[s]), n/g.ClusterMinPeople))
			for j := range c {
				q := n / c
				if j < n%c {
					q++
				}
				counts[s] = append(counts[s], q)
			}
		}
		total := len(counts[urban]) + len(counts[rural])
		rot := 2 * math.Pi * Uniform(pop.Seed, SubGeo, uint64(k), 0)
		cr := float64(a.RadiusM) / math.Sqrt(float64(total))
		j := 0
		for _, s := range []int{urban, rural} {
			for _, q := range counts[s] {
				r := float64(a.RadiusM) * math.Sqrt((float64(j)+0.5)/float64(total))
				th := rot + float64(j)*goldenAngle
				pop.Clusters = append(pop.Clusters, Cluster{Area: int32(k), Urban: s == urban, People: int32(q),
					X: a.X + float32(r*math.Cos(th)), Y: a.Y + float32(r*math.Sin(th)), RadiusM: float32(cr)})
				j++
			}
		}
	}
}

// settlement returns the settlement parameters of a cluster.
func (pop *Population) settlement(c *Cluster) *Settlement {
	if c.Urban {
		return &pop.Params.Urban
	}
	return &pop.Params.Rural
}

// addSiteIn adds a site in cluster c at a point drawn uniformly in the
// cluster's disc (a counter-based draw keyed by the site's number).
func (pop *Population) addSiteIn(s Site, c int) int32 {
	cl := &pop.Clusters[c]
	n := uint64(len(pop.Sites))
	r := float64(cl.RadiusM) * math.Sqrt(Uniform(pop.Seed, SubGeo, 1<<32|n, 0))
	th := 2 * math.Pi * Uniform(pop.Seed, SubGeo, 1<<32|n, 1)
	x, y := float64(cl.X)+r*math.Cos(th), float64(cl.Y)+r*math.Sin(th)
	// Keep it on the area's disc: a rim cluster's disc pokes out.
	a := &pop.Areas[cl.Area]
	dx, dy := x-float64(a.X), y-float64(a.Y)
	if d := math.Hypot(dx, dy); d > float64(a.RadiusM) {
		x, y = float64(a.X)+dx*float64(a.RadiusM)/d, float64(a.Y)+dy*float64(a.RadiusM)/d
	}
	s.Area, s.Cluster = cl.Area, int32(c)
	s.X, s.Y = float32(x), float32(y)
	return pop.addSite(s)
}

// clusterOf returns the cluster of person i's home.
func (pop *Population) clusterOf(i int) *Cluster {
	return &pop.Clusters[pop.Sites[pop.People[i].HomeSite].Cluster]
}

// buildGeoHouseholds fills each cluster with households: sizes from the
// census distribution of the area's province, or the national one, urban
// or rural (vietnam.md §3.2; seven or more members counted as seven), a
// head aged 20 or more and the other members from the area's ages with
// the heads taken out (§2.2, §3.1). Urban homes are tube houses in rows
// of ten or flats in blocks; rural homes are houses in rows of ten, farther
// apart.
func (pop *Population) buildGeoHouseholds() {
	p := pop.Params
	const rowLen = 10
	hh := int32(0)
	for c := range pop.Clusters {
		cl := &pop.Clusters[c]
		a := &pop.Areas[cl.Area]
		s := rural
		if cl.Urban {
			s = urban
		}
		set := pop.settlement(cl)
		ages := &a.ages[s]
		members := ages.members(meanSize(a.hhSizes[s]))
		r := Stream(pop.Seed, SubHouseholds, uint64(1+c), 0)
		var rowSite, flatSite int32 = -1, -1
		var rowUsed, flatUsed int32
		left := int(cl.People)
		for left > 0 {
			u := r.Float64()
			size := 1
			for size < 7 && u >= a.hhSizes[s][size-1] {
				u -= a.hhSizes[s][size-1]
				size++
			}
			size = min(size, left)
			left -= size
			var site int32
			var room int16
			if r.Float64() < set.ApartmentShare {
				if flatSite < 0 || flatUsed == int32(p.FlatsPerFloor) {
					flatSite = pop.addSiteIn(Site{Kind: Home, Env: radio.Indoor, Rooms: int32(p.FlatsPerFloor),
						RoomW: 8, RoomD: 9, Pitch: 1.8}, c)
					flatUsed = 0
				}
				site, room = flatSite, int16(flatUsed)
				flatUsed++
			} else {
				if rowSite < 0 || rowUsed == rowLen {
					rowSite = pop.addSiteIn(Site{Kind: Home, Env: radio.Indoor, Rooms: rowLen,
						RoomW: float32(set.HouseWidthM), RoomD: 14, Pitch: 1.8}, c)
					rowUsed = 0
				}
				site, room = rowSite, int16(rowUsed)
				rowUsed++
			}
			for m := range size {
				var age int
				if m == 0 {
					age = ages.draw(r, 20, 99)
				} else {
					age = members.draw(r, 0, 99)
				}
				pop.People = append(pop.People, Person{
					Age: uint8(age), Household: hh, HomeSite: site, HomeRoom: room, Bed: int16(m),
					DaySite: -1, BusSite: -1,
				})
			}
			hh++
		}
	}
	pop.Households = int(hh)
}

// areaPeople returns, per area, the range of person numbers living there
// (people are numbered area by area).
func (pop *Population) areaPeople() [][2]int {
	out := make([][2]int, len(pop.Areas))
	for k := range out {
		out[k] = [2]int{-1, -1}
	}
	for i := range pop.People {
		k := pop.Sites[pop.People[i].HomeSite].Area
		if out[k][0] < 0 {
			out[k][0] = i
		}
		out[k][1] = i + 1
	}
	return out
}

// assignGeoSchools forms classes of class_size by age within each area
// (pupils go to school in their own district or province) and packs them
// into schools of up to 30 classrooms, placed in the cluster of the
// school's first pupil. In a scaled-down sample a small area's classes
// are smaller than class_size.
func (pop *Population) assignGeoSchools() {
	p := pop.Params
	const classesPerSchool = 30
	for k, rng := range pop.areaPeople() {
		if rng[0] < 0 {
			continue
		}
		r := Stream(pop.Seed, SubSchools, uint64(1+k), 0)
		byAge := make([][]int32, p.SchoolAgeMax+1)
		for i := rng[0]; i < rng[1]; i++ {
			a := int(pop.People[i].Age)
			if a >= p.SchoolAgeMin && a <= p.SchoolAgeMax && r.Float64() < p.SchoolAttendance {
				byAge[a] = append(byAge[a], int32(i))
			}
		}
		var site int32 = -1
		var used int32
		for a := p.SchoolAgeMin; a <= p.SchoolAgeMax; a++ {
			kids := byAge[a]
			for start := 0; start < len(kids); start += p.ClassSize {
				end := min(start+p.ClassSize, len(kids))
				if site < 0 || used == classesPerSchool {
					site = pop.addSiteIn(Site{Kind: School, Env: radio.Indoor, Rooms: classesPerSchool,
						RoomW: 8, RoomD: 9, Pitch: 1.2}, int(pop.Sites[pop.People[kids[start]].HomeSite].Cluster))
					used = 0
				}
				for s, kid := range kids[start:end] {
					pp := &pop.People[kid]
					pp.Flags |= FlagPupil
					pp.DaySite, pp.DayRoom, pp.DaySeat = site, int16(used), int16(s)
				}
				used++
			}
		}
	}
}

// assignGeoWork employs people aged 15-64 out of school with
// employment_rate; a share `commuting` of them works in a bordering
// district, chosen in proportion to its people. Each area's workers (its
// own and those commuting in) are cut into workplaces from the size
// distribution, each placed in a cluster of the area drawn in proportion
// to its people.
func (pop *Population) assignGeoWork() {
	p := pop.Params
	pools := make([][]int32, len(pop.Areas))
	for k, rng := range pop.areaPeople() {
		if rng[0] < 0 {
			continue
		}
		a := &pop.Areas[k]
		r := Stream(pop.Seed, SubWork, uint64(1+k), 0)
		for i := rng[0]; i < rng[1]; i++ {
			pp := &pop.People[i]
			uEmp, uCom, uDest := r.Float64(), r.Float64(), r.Float64()
			if pp.Age < 15 || pp.Age > 64 || pp.Has(FlagPupil) || uEmp >= p.EmploymentRate {
				continue
			}
			dest := k
			if uCom < p.Commuting && len(a.borders) > 0 {
				tot := 0
				for _, b := range a.borders {
					tot += pop.Areas[b].People
				}
				x := uDest * float64(tot)
				dest = a.borders[len(a.borders)-1]
				for _, b := range a.borders {
					if x < float64(pop.Areas[b].People) {
						dest = b
						break
					}
					x -= float64(pop.Areas[b].People)
				}
			}
			pools[dest] = append(pools[dest], int32(i))
		}
	}
	// The clusters of each area, for placing workplaces.
	clusters := make([][]int, len(pop.Areas))
	for c := range pop.Clusters {
		clusters[pop.Clusters[c].Area] = append(clusters[pop.Clusters[c].Area], c)
	}
	total := 0.0
	for _, w := range p.WorkplaceSizes {
		total += w.Share
	}
	for k, workers := range pools {
		if len(workers) == 0 {
			continue
		}
		r := Stream(pop.Seed, SubWork, uint64(1+k), 1)
		r.Shuffle(len(workers), func(i, j int) { workers[i], workers[j] = workers[j], workers[i] })
		place := func() int {
			x := r.Float64() * float64(pop.Areas[k].People)
			for _, c := range clusters[k] {
				if x < float64(pop.Clusters[c].People) {
					return c
				}
				x -= float64(pop.Clusters[c].People)
			}
			return clusters[k][len(clusters[k])-1]
		}
		var small int32 = -1
		var smallUsed int32
		for len(workers) > 0 {
			u := r.Float64() * total
			c := 0
			for c < len(p.WorkplaceSizes)-1 && u >= p.WorkplaceSizes[c].Share {
				u -= p.WorkplaceSizes[c].Share
				c++
			}
			size := min(p.WorkplaceSizes[c].Size, len(workers))
			side := float32(math.Ceil(math.Sqrt(float64(size)))) * 1.5
			var site int32
			var room int16
			if size <= 20 {
				if small < 0 || smallUsed == 10 || pop.Sites[small].RoomW < side {
					small = pop.addSiteIn(Site{Kind: Work, Env: radio.Indoor, Rooms: 10,
						RoomW: max(side, 8), RoomD: max(side, 8), Pitch: 1.5}, place())
					smallUsed = 0
				}
				site, room = small, int16(smallUsed)
				smallUsed++
			} else {
				site = pop.addSiteIn(Site{Kind: Work, Env: radio.Indoor, Rooms: 1, RoomW: side, RoomD: side, Pitch: 1.5}, place())
			}
			for s, w := range workers[:size] {
				pp := &pop.People[w]
				pp.Flags |= FlagWorker
				pp.DaySite, pp.DayRoom, pp.DaySeat = site, room, int16(s)
			}
			workers = workers[size:]
		}
	}
	pop.assignShoppers()
}

// assignGeoBuses puts the urban or rural bus_share of each area's pupils
// and workers on buses of bus_capacity, filled in turn per area,
// settlement and purpose.
func (pop *Population) assignGeoBuses() {
	p := pop.Params
	for k, rng := range pop.areaPeople() {
		if rng[0] < 0 {
			continue
		}
		r := Stream(pop.Seed, SubWork, uint64(1+k), 2)
		for _, flag := range []uint8{FlagPupil, FlagWorker} {
			for _, isUrban := range []bool{true, false} {
				var site int32 = -1
				seat := 0
				for i := rng[0]; i < rng[1]; i++ {
					pp := &pop.People[i]
					cl := pop.clusterOf(i)
					if !pp.Has(flag) || cl.Urban != isUrban {
						continue
					}
					if r.Float64() >= pop.settlement(cl).BusShare {
						continue
					}
					if site < 0 || seat == p.BusCapacity {
						rows := float32((p.BusCapacity + 3) / 4)
						site = pop.addSiteIn(Site{Kind: Bus, Env: radio.Vehicle, Rooms: 1, RoomW: 2.4, RoomD: rows * 0.8, Pitch: 0.6},
							int(pop.Sites[pp.HomeSite].Cluster))
						seat = 0
					}
					pp.BusSite, pp.BusSeat = site, int16(seat)
					seat++
				}
			}
		}
	}
}

// buildGeoPlaces gives every cluster its markets (one per
// people_per_market people, or one village market for a rural commune),
// each sized to the people it serves, and its cafés (one per
// people_per_cafe people, at least one; half of them on the pavement).
// A household shops at a market of its own cluster.
func (pop *Population) buildGeoPlaces() {
	for c := range pop.Clusters {
		cl := &pop.Clusters[c]
		set := pop.settlement(cl)
		n := int(cl.People)
		nm := 1
		if set.PeoplePerMarket > 0 {
			nm = max(1, int(math.Round(float64(n)/float64(set.PeoplePerMarket))))
		}
		side := float32(math.Max(10, math.Sqrt(float64(n)/float64(nm)*sqmPerMarketPerson)))
		cl.MarketFirst, cl.MarketN = int32(len(pop.Markets)), int32(nm)
		for range nm {
			pop.Markets = append(pop.Markets, pop.addSiteIn(Site{Kind: Market, Env: radio.Outdoor, Rooms: 1,
				RoomW: side, RoomD: side, Aisle: 3}, c))
		}
		nc := max(1, n/set.PeoplePerCafe)
		cl.CafeFirst, cl.CafeN = int32(len(pop.Cafes)), int32(nc)
		for j := range nc {
			env := radio.Indoor
			if j%2 == 1 {
				env = radio.Outdoor
			}
			pop.Cafes = append(pop.Cafes, pop.addSiteIn(Site{Kind: Cafe, Env: env, Rooms: 1, RoomW: 10, RoomD: 8, Pitch: 2.5}, c))
		}
	}
	for i := range pop.People {
		pp := &pop.People[i]
		cl := pop.clusterOf(i)
		pp.Market = pop.Markets[cl.MarketFirst+pp.Household%cl.MarketN]
	}
}

// drawCafe picks a café for a person's visit from one uniform draw: any
// café of a town, or one of the person's own cluster.
func (pop *Population) drawCafe(r *rand.Rand, i int) int32 {
	if pop.Clusters == nil {
		return pop.Cafes[r.IntN(len(pop.Cafes))]
	}
	cl := pop.clusterOf(i)
	return pop.Cafes[cl.CafeFirst+int32(r.IntN(int(cl.CafeN)))]
}
