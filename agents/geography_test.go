package agents

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/agents/geo"
	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/radio"
)

// geoParams returns the defaults for a census area at a scale, with size
// set from the census as the scenario loader sets it.
func geoParams(t testing.TB, area string, scale float64) Params {
	t.Helper()
	p := Default(0)
	p.Area, p.Scale = area, scale
	n, ok := p.CensusSize()
	if !ok {
		t.Fatalf("no census size for %s at %v", area, scale)
	}
	p.Size = n
	return p
}

func buildGeoPop(t testing.TB, p Params, seed uint64) *Population {
	t.Helper()
	pop, err := Build(p, radio.DefaultParams(), seed)
	if err != nil {
		t.Fatal(err)
	}
	return pop
}

// TestFaithfulSample checks a 1 % sample of Nam Định: every district is
// there with its share of the people (within one person of census ×
// scale), its urban share, its households in proportion, and the total is
// round(1,780,393 × 0.01).
func TestFaithfulSample(t *testing.T) {
	c, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, scale := range []float64{0.01, 0.05} {
		p := geoParams(t, "nam-dinh", scale)
		pop := buildGeoPop(t, p, 3)
		if want := int(math.Round(geo.NamDinhPopulation * scale)); len(pop.People) != want || p.Size != want {
			t.Fatalf("scale %v: %d people (size %d), want %d", scale, len(pop.People), p.Size, want)
		}
		ds := c.DistrictsOf("nam-dinh")
		if len(pop.Areas) != len(ds) {
			t.Fatalf("%d areas, want %d districts", len(pop.Areas), len(ds))
		}
		count := make([]int, len(pop.Areas))
		urbanN := make([]int, len(pop.Areas))
		for i := range pop.People {
			k := pop.AreaOf(i)
			count[k]++
			if pop.clusterOf(i).Urban {
				urbanN[k]++
			}
		}
		for k, d := range ds {
			a := pop.Areas[k]
			if a.Slug != d.Slug || a.Level != LevelDistrict || !a.Tile {
				t.Fatalf("area %d is %+v, want district %s", k, a, d.Slug)
			}
			exact := float64(d.Population) * scale
			if count[k] != a.People || math.Abs(float64(count[k])-exact) > 1 {
				t.Errorf("scale %v: %s has %d people (area says %d), want %.1f", scale, d.Slug, count[k], a.People, exact)
			}
			if got, want := float64(urbanN[k])/float64(count[k]), float64(d.Urban)/float64(d.Population); math.Abs(got-want) > 1.5/float64(count[k])+1e-9 {
				t.Errorf("scale %v: %s urban share %.4f, want %.4f", scale, d.Slug, got, want)
			}
			// Household sizes are the province's, so districts' households
			// follow their people within a few per cent.
			if got, want := float64(a.Households), float64(d.Households)*scale; math.Abs(got-want) > 0.03*want+3 {
				t.Errorf("scale %v: %s has %v households, want about %.0f", scale, d.Slug, got, want)
			}
		}
	}
}

// TestGeoAges checks each district's broad age groups against vietnam.md
// §2.2 in a 10 % sample.
func TestGeoAges(t *testing.T) {
	if testing.Short() {
		t.Skip("178,000 people")
	}
	c, _ := geo.Load()
	pop := buildGeoPop(t, geoParams(t, "nam-dinh", 0.1), 1)
	young := make([]int, len(pop.Areas))
	old := make([]int, len(pop.Areas))
	for i := range pop.People {
		k := pop.AreaOf(i)
		switch a := pop.People[i].Age; {
		case a <= 14:
			young[k]++
		case a >= 65:
			old[k]++
		}
	}
	for k, d := range c.DistrictsOf("nam-dinh") {
		n := float64(pop.Areas[k].People)
		if got, want := float64(young[k])/n, float64(d.Age0to14)/float64(d.Population); math.Abs(got-want) > 0.015 {
			t.Errorf("%s: 0-14 share %.3f, want %.3f", d.Slug, got, want)
		}
		if got, want := float64(old[k])/n, float64(d.Age65Plus)/float64(d.Population); math.Abs(got-want) > 0.015 {
			t.Errorf("%s: 65+ share %.3f, want %.3f", d.Slug, got, want)
		}
	}
}

func TestGeoDeterministic(t *testing.T) {
	p := geoParams(t, "nam-dinh", 0.01)
	a, b := buildGeoPop(t, p, 9), buildGeoPop(t, p, 9)
	if !reflect.DeepEqual(a.People, b.People) || !reflect.DeepEqual(a.Sites, b.Sites) ||
		!reflect.DeepEqual(a.Clusters, b.Clusters) || !reflect.DeepEqual(a.Areas, b.Areas) {
		t.Fatal("same seed, different populations")
	}
	if !reflect.DeepEqual(a.Stays(nil, 4, false), b.Stays(nil, 4, false)) {
		t.Fatal("same seed, different stays")
	}
	c := buildGeoPop(t, p, 10)
	if reflect.DeepEqual(a.People, c.People) {
		t.Fatal("different seeds, same people")
	}
}

// TestGeoPositions checks that sites lie on their district's disc around
// its GADM centroid, urban clusters nearer the centre than rural ones, and
// that districts sit where vietnam.md §2.1 puts them relative to each
// other (Giao Thủy east of Ý Yên, Hải Hậu south of Mỹ Lộc).
func TestGeoPositions(t *testing.T) {
	pop := buildGeoPop(t, geoParams(t, "nam-dinh", 0.01), 2)
	for s, site := range pop.Sites {
		a := &pop.Areas[site.Area]
		d := math.Hypot(float64(site.X-a.X), float64(site.Y-a.Y))
		if d > 1.01*float64(a.RadiusM)+1 {
			t.Fatalf("site %d (%v) is %.0f m from %s's centre, radius %.0f m", s, site.Kind, d, a.Slug, a.RadiusM)
		}
	}
	idx := func(slug string) *Area {
		for i := range pop.Areas {
			if pop.Areas[i].Slug == slug {
				return &pop.Areas[i]
			}
		}
		t.Fatalf("no area %s", slug)
		return nil
	}
	if idx("giao-thuy").X <= idx("y-yen").X || idx("hai-hau").Y >= idx("my-loc").Y {
		t.Error("districts are not where their centroids put them")
	}
	// Nam Định city: 20.424 N, 106.169 E; Hải Hậu 20.150 N: about 30 km
	// apart north-south.
	if dy := idx("nam-dinh-city").Y - idx("hai-hau").Y; dy < 29000 || dy > 32000 {
		t.Errorf("Nam Định city is %.0f m north of Hải Hậu, want about 30,500", dy)
	}
	for k := range pop.Areas {
		var ur, rr []float64
		for _, c := range pop.Clusters {
			if int(c.Area) != k {
				continue
			}
			r := math.Hypot(float64(c.X-pop.Areas[k].X), float64(c.Y-pop.Areas[k].Y))
			if c.Urban {
				ur = append(ur, r)
			} else {
				rr = append(rr, r)
			}
		}
		if len(ur) > 0 && len(rr) > 0 && mean(ur) > mean(rr) {
			t.Errorf("%s: urban clusters farther out (%.0f m) than rural ones (%.0f m)", pop.Areas[k].Slug, mean(ur), mean(rr))
		}
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// TestUrbanRuralVenues checks that urban clusters are denser than rural
// ones: flats only in towns, more people per market (fewer, bigger markets),
// houses closer together and more bus riders.
func TestUrbanRuralVenues(t *testing.T) {
	pop := buildGeoPop(t, geoParams(t, "nam-dinh", 0.05), 4)
	var flats [2]int
	var width [2]float32
	var riders, people [2]int
	for i := range pop.People {
		pp := &pop.People[i]
		s := rural
		if pop.clusterOf(i).Urban {
			s = urban
		}
		people[s]++
		site := &pop.Sites[pp.HomeSite]
		if site.Rooms == int32(pop.Params.FlatsPerFloor) && site.RoomW == 8 && site.RoomD == 9 {
			flats[s]++
		} else {
			width[s] = site.RoomW
		}
		if pp.BusSite >= 0 {
			riders[s]++
		}
	}
	if flats[rural] != 0 || flats[urban] == 0 {
		t.Errorf("people in flats: rural %d, urban %d", flats[rural], flats[urban])
	}
	if width[urban] != 4 || width[rural] != 12 {
		t.Errorf("house widths urban %v rural %v", width[urban], width[rural])
	}
	if float64(riders[urban])/float64(people[urban]) <= float64(riders[rural])/float64(people[rural]) {
		t.Errorf("bus riders: urban %d of %d, rural %d of %d", riders[urban], people[urban], riders[rural], people[rural])
	}
	var perMarket [2][]float64
	for _, c := range pop.Clusters {
		s := rural
		if c.Urban {
			s = urban
		}
		perMarket[s] = append(perMarket[s], float64(c.People)/float64(c.MarketN))
		for m := c.MarketFirst; m < c.MarketFirst+c.MarketN; m++ {
			site := &pop.Sites[pop.Markets[m]]
			if int(site.Cluster) < 0 || pop.Clusters[site.Cluster] != c {
				t.Fatal("a cluster's market is not in the cluster")
			}
		}
	}
	if mean(perMarket[urban]) <= mean(perMarket[rural]) {
		t.Errorf("people per market: urban %.0f, rural %.0f", mean(perMarket[urban]), mean(perMarket[rural]))
	}
	// Everyone shops in their own cluster and has a café there.
	for i := range pop.People {
		if pop.Sites[pop.People[i].Market].Cluster != pop.Sites[pop.People[i].HomeSite].Cluster {
			t.Fatal("a household shops outside its cluster")
		}
	}
}

// TestCommuting checks that about `commuting` of the workers work in
// another district, always one that borders theirs.
func TestCommuting(t *testing.T) {
	c, _ := geo.Load()
	ds := c.DistrictsOf("nam-dinh")
	for _, share := range []float64{0, 0.1, 0.3} {
		p := geoParams(t, "nam-dinh", 0.02)
		p.Commuting = share
		pop := buildGeoPop(t, p, 5)
		workers, away := 0, 0
		for i := range pop.People {
			pp := &pop.People[i]
			if !pp.Has(FlagWorker) {
				continue
			}
			workers++
			home, work := pop.AreaOf(i), int(pop.Sites[pp.DaySite].Area)
			if home != work {
				away++
				if !strings.Contains(";"+strings.Join(ds[home].Borders, ";")+";", ";"+ds[work].Slug+";") {
					t.Fatalf("a worker of %s works in %s, which does not border it", ds[home].Slug, ds[work].Slug)
				}
			}
		}
		got := float64(away) / float64(workers)
		if math.Abs(got-share) > 0.02 {
			t.Errorf("commuting %v: %.3f of %d workers work in another district", share, got, workers)
		}
	}
}

// TestInstallByArea checks installs scaled to each area's owners: at
// adoption a every district has about a of its people with the app, an
// area's own adoption overrides it, and installs nest (a person with the
// app at a lower adoption has it at a higher one).
func TestInstallByArea(t *testing.T) {
	pop := buildGeoPop(t, geoParams(t, "nam-dinh", 0.05), 6)
	byArea := make([]float64, len(pop.Areas))
	for k := range byArea {
		byArea[k] = math.NaN()
	}
	byArea[0] = 0.6 // Nam Định city
	for k := range pop.Areas {
		n, at30, at40, mixed := 0, 0, 0, 0
		for i := range pop.People {
			if pop.AreaOf(i) != k {
				continue
			}
			n++
			a30, a40 := pop.Installed(i, 0.3), pop.Installed(i, 0.4)
			if a30 && !a40 {
				t.Fatal("installed at 0.3 but not at 0.4")
			}
			if a30 {
				at30++
			}
			if a40 {
				at40++
			}
			if pop.InstalledByArea(i, 0.3, byArea, 1) {
				mixed++
			}
			if pop.InstalledByArea(i, 0.3, nil, 1) != a30 {
				t.Fatal("InstalledByArea without areas differs from Installed")
			}
		}
		sd := math.Sqrt(0.3 * 0.7 / float64(n))
		if got := float64(at30) / float64(n); math.Abs(got-0.3) > 4*sd {
			t.Errorf("%s: %.3f with the app at adoption 0.3 (n %d)", pop.Areas[k].Slug, got, n)
		}
		want := 0.3
		if k == 0 {
			want = 0.6
		}
		if got := float64(mixed) / float64(n); math.Abs(got-want) > 4*math.Sqrt(want*(1-want)/float64(n)) {
			t.Errorf("%s: %.3f with the app under adoption_by_area, want %v", pop.Areas[k].Slug, got, want)
		}
	}
}

// TestProvinceLevel builds two provinces at province level, joint, with
// day trips between them.
func TestProvinceLevel(t *testing.T) {
	p := geoParams(t, "thai-binh,nam-dinh", 0.005)
	p.AreaLevel = LevelProvince
	p.Travel.Mixing = MixJoint
	p.Travel.Daily = 0.05
	pop := buildGeoPop(t, p, 7)
	if len(pop.Areas) != 2 || pop.Areas[0].Slug != "thai-binh" || pop.Areas[1].Slug != "nam-dinh" {
		t.Fatalf("areas %v", pop.Areas)
	}
	// Census order: Thái Bình (row 8) before Nam Định (row 10).
	if pop.Areas[1].Census != geo.NamDinhPopulation || pop.Areas[1].Tile {
		t.Errorf("nam-dinh area %+v", pop.Areas[1])
	}
	trips, abroad := 0, 0
	stays := pop.Stays(nil, 2, false)
	for _, s := range stays {
		site := &pop.Sites[s.Site]
		if site.Kind == Market && site.Area != pop.Sites[pop.People[s.Person].HomeSite].Area {
			abroad++
		}
		if site.Kind == Bus && site.Cluster < 0 && s.Start == 360 {
			trips++
		}
	}
	adults := 0
	for i := range pop.People {
		if a := pop.People[i].Age; a >= 18 && a <= 64 {
			adults++
		}
	}
	if exp := 0.05 * float64(adults); math.Abs(float64(trips)-exp) > 4*math.Sqrt(exp) {
		t.Errorf("%d trips, want about %.0f", trips, exp)
	}
	if abroad != trips {
		t.Errorf("%d market visits in the other province, %d trips", abroad, trips)
	}
}

func TestGeoValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(p *Params)
		want string
	}{
		{"unknown area", func(p *Params) { p.Area = "nam-dihn" }, `population.area: unknown province "nam-dihn" (did you mean "nam-dinh"?)`},
		{"no districts", func(p *Params) { p.Area = "ha-noi"; p.AreaLevel = LevelDistrict },
			"population.scale: no districts are shipped for ha-noi"},
		{"scale", func(p *Params) { p.Scale = 0 }, "population.scale: must be above 0 and at most 1"},
		{"tiny scale", func(p *Params) { p.Scale = 1e-6 }, "population.scale: at scale 1e-06 district my-loc (72514 people in the census) would have nobody"},
		{"size", func(p *Params) { p.Size = 5 }, "population.size: is 5, but population.area nam-dinh at scale 0.01 holds 17804 people"},
		{"level", func(p *Params) { p.AreaLevel = "commune" }, `population.area_level: unknown area level "commune"`},
		{"mixing", func(p *Params) { p.Travel.Mixing = "mixed" }, `population.travel.mixing: unknown mixing "mixed"`},
		{"part", func(p *Params) { p.Part = "ha-noi" }, `population.part: "ha-noi" is not a province of population.area`},
		{"scale without area", func(p *Params) { p.Area = ""; p.Size = 100; p.Scale = 0.5 }, "population.scale: is 0.5, but a scale applies only to a census area"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := geoParams(t, "nam-dinh", 0.01)
			tc.set(&p)
			err := p.Validate()
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			var msgs []string
			for _, e := range check.Errors(err) {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("got\n%s\nwant %q", strings.Join(msgs, "\n"), tc.want)
			}
		})
	}
}

// BenchmarkBuildNamDinh synthesises the whole province (1,780,393 people)
// and reports the population's own memory per person.
func BenchmarkBuildNamDinh(b *testing.B) {
	p := geoParams(b, "nam-dinh", 1)
	for b.Loop() {
		pop := buildGeoPop(b, p, 1)
		per := float64(cap(pop.People))*float64(reflect.TypeFor[Person]().Size()) +
			float64(cap(pop.Sites))*float64(reflect.TypeFor[Site]().Size())
		b.ReportMetric(per/float64(len(pop.People)), "bytes/person")
	}
}
