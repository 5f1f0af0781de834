package agents

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/bluesim/bluesim/agents/geo"
)

// Area is one census unit of a geographic population: a district (of Nam
// Định) or a province. Areas are numbered in census order; a site's Area
// field and Population.AreaOf index them.
type Area struct {
	// Slug and Name identify the area; Province is its province's slug
	// (its own for a province) and Region the province's region code.
	Slug, Name, Province, Region string
	// Level is "district" or "province".
	Level string
	// Census and CensusUrban are the 2019 census counts (vietnam.md §1.1,
	// §2.1); People and Urban the people simulated at the scenario's scale.
	Census, CensusUrban int
	People, Urban       int
	// Households is the number of households synthesised.
	Households int
	// Ownership is the share of the area's people who own a smartphone
	// (after synthesis): installs are scaled to it, so an adoption a means
	// a share a of the area's people.
	Ownership float64
	// X and Y are the area's centre in metres on its province's plane
	// (east and north of the province's reference point: for Nam Định's
	// districts their GADM centroids, vietnam.md §2.1; a province without
	// shipped districts is centred on 0, 0); RadiusM is the radius of a
	// disc of its area.
	X, Y, RadiusM float32
	// Tile says whether the area has a place on its province's tile map
	// (vietnam.md §2.3), at TileRow (north to south) and TileCol (west to
	// east).
	Tile             bool
	TileRow, TileCol int

	ages     [2]ageDist    // rural (0), urban (1)
	hhSizes  [2][7]float64 // shares of households with 1..7 members
	communes [2]int        // commune-level units at full scale
	borders  []int         // areas of the same province it borders
}

// settlement indices.
const (
	rural = 0
	urban = 1
)

// ageDist is an age distribution over bands [lo[b], hi[b]].
type ageDist struct {
	lo, hi []int
	share  []float64
}

// draw draws an age from the distribution restricted to [lo, hi]: a band,
// then a uniform age in it, redrawn while outside the range.
func (a *ageDist) draw(r *rand.Rand, lo, hi int) int {
	for {
		u := r.Float64()
		b := 0
		for b < len(a.share)-1 && u >= a.share[b] {
			u -= a.share[b]
			b++
		}
		age := a.lo[b] + r.IntN(a.hi[b]-a.lo[b]+1)
		if age >= lo && age <= hi {
			return age
		}
	}
}

// members returns the distribution of household members other than the
// head: the heads (one per household, aged 20 and over) are taken out of
// the adult bands in proportion, so that heads and members together keep
// the area's shares (the town's buildHouseholds does the same over its
// ten-year bands).
func (a *ageDist) members(meanSize float64) ageDist {
	adult := 0.0
	for b := range a.share {
		if a.lo[b] >= 20 {
			adult += a.share[b]
		}
	}
	m := ageDist{lo: a.lo, hi: a.hi, share: make([]float64, len(a.share))}
	tot := 0.0
	for b, v := range a.share {
		if a.lo[b] >= 20 && adult > 0 {
			v -= v / adult / meanSize
		}
		m.share[b] = max(0, v)
		tot += m.share[b]
	}
	for b := range m.share {
		m.share[b] /= tot
	}
	return m
}

func meanSize(shares [7]float64) float64 {
	m := 0.0
	for i, s := range shares {
		m += float64(i+1) * s
	}
	return m
}

// earthRadiusKm is the radius of vietnam.md §2.3's projection.
const earthRadiusKm = 6371.0

// layout resolves the areas a run simulates (the Part province alone when
// one is picked) with their sampled counts, ages, household sizes,
// commune counts, borders and positions. It draws nothing: the same
// parameters give the same areas.
func (g *Geography) layout() ([]Area, error) {
	c, err := geo.Load()
	if err != nil {
		return nil, err
	}
	provs, err := g.Provinces()
	if err != nil {
		return nil, err
	}
	if g.Part != "" {
		provs = []string{g.Part}
	}
	var out []Area
	for _, slug := range provs {
		p, _ := c.Province(slug)
		ds := c.DistrictsOf(slug)
		level := g.AreaLevel
		if level == LevelAuto {
			level = LevelProvince
			if len(ds) > 0 {
				level = LevelDistrict
			}
		}
		if level == LevelDistrict && len(ds) == 0 {
			return nil, fmt.Errorf("no districts are shipped for %s (only for %s): use population.area_level: province or auto",
				slug, districtProvinces(c))
		}
		areas, err := provinceAreas(c, p, ds, level, g)
		if err != nil {
			return nil, err
		}
		out = append(out, areas...)
	}
	return out, nil
}

func districtProvinces(c *geo.Census) string {
	var ps []string
	for _, d := range c.Districts {
		if !slices.Contains(ps, d.Province) {
			ps = append(ps, d.Province)
		}
	}
	return fmt.Sprint(ps)
}

// provinceAreas builds one province's areas: the province itself, or its
// districts.
func provinceAreas(c *geo.Census, p *geo.Province, ds []geo.District, level string, g *Geography) ([]Area, error) {
	// The province's sample: round(population × scale), shared among its
	// areas by largest remainder, so a province has the same people
	// whichever other provinces a run holds.
	total := int(math.Round(float64(p.Population) * g.Scale))
	var areas []Area
	if level == LevelProvince {
		a := Area{Slug: p.Slug, Name: p.Name, Province: p.Slug, Region: p.Region, Level: LevelProvince,
			Census: p.Population, CensusUrban: p.Urban,
			RadiusM: float32(1000 * math.Sqrt(p.AreaKm2/math.Pi))}
		if len(ds) > 0 {
			for _, d := range ds {
				a.communes[urban] += d.Wards + d.Townships
				a.communes[rural] += d.Communes
			}
		} else {
			a.communes[urban] = int(math.Round(float64(p.Urban) / float64(g.CommunePeople)))
			a.communes[rural] = int(math.Round(float64(p.Rural) / float64(g.CommunePeople)))
		}
		areas = append(areas, a)
	} else {
		// The plane's reference point: the area-weighted mean of the
		// districts' centroids (vietnam.md §2.1 [derived]).
		var lat0, lon0, w float64
		for _, d := range ds {
			lat0 += d.Lat * d.AreaGADMKm2
			lon0 += d.Lon * d.AreaGADMKm2
			w += d.AreaGADMKm2
		}
		lat0, lon0 = lat0/w, lon0/w
		kx := earthRadiusKm * 1000 * math.Pi / 180 * math.Cos(lat0*math.Pi/180)
		ky := earthRadiusKm * 1000 * math.Pi / 180
		for _, d := range ds {
			a := Area{Slug: d.Slug, Name: d.Name, Province: p.Slug, Region: p.Region, Level: LevelDistrict,
				Census: d.Population, CensusUrban: d.Urban,
				X: float32((d.Lon - lon0) * kx), Y: float32((d.Lat - lat0) * ky),
				RadiusM: float32(1000 * math.Sqrt(d.AreaGADMKm2/math.Pi)),
				Tile:    true, TileRow: d.TileRow, TileCol: d.TileCol}
			a.communes[urban] = d.Wards + d.Townships
			a.communes[rural] = d.Communes
			areas = append(areas, a)
		}
		for i, d := range ds {
			for _, b := range d.Borders {
				j := slices.IndexFunc(ds, func(o geo.District) bool { return o.Slug == b })
				areas[i].borders = append(areas[i].borders, j)
			}
		}
	}
	// Largest-remainder apportionment of the province's sample.
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	given := 0
	for i := range areas {
		exact := float64(total) * float64(areas[i].Census) / float64(p.Population)
		areas[i].People = int(exact)
		given += areas[i].People
		rems = append(rems, rem{i, exact - math.Floor(exact)})
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return 0
	})
	for k := 0; given < total; k++ {
		areas[rems[k].i].People++
		given++
	}
	for i := range areas {
		a := &areas[i]
		if a.People < 1 {
			return nil, fmt.Errorf("at scale %v %s %s (%d people in the census) would have nobody: raise the scale to at least %.2g",
				g.Scale, a.Level, a.Slug, a.Census, 1/float64(a.Census))
		}
		a.Urban = int(math.Round(float64(a.People) * float64(a.CensusUrban) / float64(a.Census)))
		if err := a.setAges(c, ds, p); err != nil {
			return nil, err
		}
		for s, name := range []string{"rural", "urban"} {
			h, ok := c.HouseholdsFor(p.Slug, name)
			if !ok {
				h, ok = c.HouseholdsFor(geo.AreaVietnamName, name)
			}
			if !ok {
				return nil, fmt.Errorf("no %s household sizes for %s or vietnam", name, p.Slug)
			}
			a.hhSizes[s] = h.Shares()
		}
		hh := p.Households
		if a.Level == LevelDistrict {
			i := slices.IndexFunc(ds, func(d geo.District) bool { return d.Slug == a.Slug })
			hh = ds[i].Households
		}
		a.fitHouseholds(float64(a.Census) / float64(hh))
	}
	return areas, nil
}

// fitHouseholds tilts the area's household-size distributions (the
// province's, or the nation's, urban and rural: vietnam.md §3.2) so that
// its people make as many households as the census counted there: the
// shares are multiplied by exp(θ·size), one θ for both settlements, with
// θ chosen so that people / households = perHH, the area's population ÷
// households (§1.1, §2.1) [derived]. Sizes keep the census's shape; only
// their mean moves (Hà Giang's 4.48 people per household, Bình Dương's
// 2.92).
func (a *Area) fitHouseholds(perHH float64) {
	nu, nr := float64(a.CensusUrban), float64(a.Census-a.CensusUrban)
	base := a.hhSizes
	tilt := func(th float64) [2][7]float64 {
		var out [2][7]float64
		for s := range base {
			tot := 0.0
			for i, v := range base[s] {
				out[s][i] = v * math.Exp(th*float64(i+1))
				tot += out[s][i]
			}
			for i := range out[s] {
				out[s][i] /= tot
			}
		}
		return out
	}
	households := func(th float64) float64 {
		t := tilt(th)
		return nu/meanSize(t[urban]) + nr/meanSize(t[rural])
	}
	want := (nu + nr) / perHH
	lo, hi := -3.0, 3.0
	for range 60 {
		mid := (lo + hi) / 2
		if households(mid) > want {
			lo = mid // too many households: bigger ones
		} else {
			hi = mid
		}
	}
	a.hhSizes = tilt((lo + hi) / 2)
}

// setAges gives the area its five-year age distribution (vietnam.md §3.1):
// a Nam Định district gets Nam Định's bands reweighted within 0-14, 15-64
// and 65+ to the district's own shares (§2.2) [derived]; Nam Định as a
// province its own bands; any other province the national urban bands for
// its urban people and the rural bands for its rural people.
func (a *Area) setAges(c *geo.Census, ds []geo.District, p *geo.Province) error {
	n := len(c.AgeBands)
	base := ageDist{lo: make([]int, n), hi: make([]int, n), share: make([]float64, n)}
	for b, ab := range c.AgeBands {
		base.lo[b], base.hi[b] = ab.Min, ab.Max
	}
	withCol := func(col func(geo.AgeBand) int) ageDist {
		d := ageDist{lo: base.lo, hi: base.hi, share: make([]float64, n)}
		tot := 0
		for _, ab := range c.AgeBands {
			tot += col(ab)
		}
		for b, ab := range c.AgeBands {
			d.share[b] = float64(col(ab)) / float64(tot)
		}
		return d
	}
	switch {
	case p.Slug == geo.NamDinhSlug && a.Level == LevelDistrict:
		i := slices.IndexFunc(ds, func(d geo.District) bool { return d.Slug == a.Slug })
		d := &ds[i]
		nd := withCol(func(ab geo.AgeBand) int { return ab.NamDinh })
		groups := [3]struct {
			lo, hi int
			want   float64
		}{{0, 14, float64(d.Age0to14)}, {15, 64, float64(d.Age15to64)}, {65, 200, float64(d.Age65Plus)}}
		for _, gr := range groups {
			have := 0.0
			for b := range nd.share {
				if nd.lo[b] >= gr.lo && nd.hi[b] <= gr.hi {
					have += nd.share[b]
				}
			}
			if have == 0 {
				return fmt.Errorf("no Nam Định people aged %d-%d in %s", gr.lo, gr.hi, geo.AgeBandsFile)
			}
			for b := range nd.share {
				if nd.lo[b] >= gr.lo && nd.hi[b] <= gr.hi {
					nd.share[b] *= gr.want / float64(d.Population) / have
				}
			}
		}
		a.ages = [2]ageDist{nd, nd}
	case p.Slug == geo.NamDinhSlug:
		nd := withCol(func(ab geo.AgeBand) int { return ab.NamDinh })
		a.ages = [2]ageDist{nd, nd}
	default:
		a.ages[urban] = withCol(func(ab geo.AgeBand) int { return ab.Urban })
		a.ages[rural] = withCol(func(ab geo.AgeBand) int { return ab.Rural })
	}
	return nil
}
