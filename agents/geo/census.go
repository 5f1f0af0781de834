package geo

import (
	"embed"
	"fmt"
	"math"
	"slices"
	"sync"
)

//go:embed data/*.csv
var dataFS embed.FS

// The shipped data files, under data/.
const (
	ProvincesFile      = "provinces.csv"
	DistrictsFile      = "districts.csv"
	AgeBandsFile       = "age-bands.csv"
	HouseholdSizesFile = "household-sizes.csv"
)

// Slugs the synthesis looks for: Nam Định (the province whose districts
// and age bands are shipped) and the whole country (the national rows of
// household-sizes.csv).
const (
	NamDinhSlug     = "nam-dinh"
	AreaVietnamName = "vietnam"
)

// Census totals that the shipped files must reproduce (vietnam.md §1.1 and
// §2.1): the whole country and Nam Định province.
const (
	VietnamPopulation = 96_208_984
	NamDinhPopulation = 1_780_393
)

// Regions are the six GSO socio-economic regions, by code, in the order
// vietnam.md §1.2 lists them.
var Regions = []Region{
	{"RRD", "Red River Delta"},
	{"NMM", "Northern Midlands and Mountains"},
	{"NCC", "North Central and Central Coast"},
	{"CH", "Central Highlands"},
	{"SE", "South East"},
	{"MRD", "Mekong River Delta"},
}

// Region is a socio-economic region.
type Region struct{ Code, Name string }

func regionCodes() []string {
	out := make([]string, len(Regions))
	for i, r := range Regions {
		out[i] = r.Code
	}
	return out
}

// Province is one row of provinces.csv (vietnam.md §1.1).
type Province struct {
	Slug, Name, Region string
	// Population = Urban + Rural people; Households as counted.
	Population, Urban, Rural, Households int
	// Districts is the number of district-level units.
	Districts int
	// AreaKm2 is the published area and AreaSource its source key
	// (vietnam.md §0); AreaGADMKm2 the GADM-derived area [derived].
	AreaKm2     float64
	AreaSource  string
	AreaGADMKm2 float64
}

// UrbanShare is the share of the population living in urban areas.
func (p *Province) UrbanShare() float64 { return float64(p.Urban) / float64(p.Population) }

// District is one row of districts.csv (vietnam.md §2).
type District struct {
	Slug, Province, Name string
	// Population = Urban + Rural people; Households as counted.
	Population, Urban, Rural, Households int
	// Wards (phường) and Townships (thị trấn) are urban commune-level
	// units, Communes (xã) rural ones.
	Wards, Townships, Communes int
	// AreaGADMKm2, Lat and Lon (the centroid) are GADM-derived [derived].
	AreaGADMKm2 float64
	Lat, Lon    float64
	// TileRow and TileCol place the district on the tile map (§2.3).
	TileRow, TileCol int
	// Borders are the districts of the same province it borders;
	// ShortBorders those of them with only a short contact;
	// NeighbourProvinces the other provinces it borders.
	Borders, ShortBorders, NeighbourProvinces []string
	// Coast is true for a district on the sea.
	Coast bool
	// Broad age groups (§2.2 [derived]): 0-14, 15-64, 65+ (summing to
	// Population) and 60+.
	Age0to14, Age15to64, Age65Plus, Age60Plus int
}

// AgeBand is one five-year band of age-bands.csv (vietnam.md §3.1).
type AgeBand struct {
	Label    string
	Min, Max int
	// People in the band: all of Vietnam, its urban and rural parts, and
	// Nam Định.
	Total, Urban, Rural, NamDinh int
}

// HouseholdSizes is one row of household-sizes.csv (vietnam.md §3.2):
// households with 1, 2, ..., 6 and 7 or more members, as counts (Unit
// "households") or percentages (Unit "percent").
type HouseholdSizes struct {
	// Area is a province slug or "vietnam"; Settlement is urban, rural
	// or all.
	Area, Settlement, Unit string
	Values                 [7]float64
}

// Shares returns the distribution normalised to sum to 1.
func (h *HouseholdSizes) Shares() [7]float64 {
	var s [7]float64
	tot := 0.0
	for _, v := range h.Values {
		tot += v
	}
	for i, v := range h.Values {
		s[i] = v / tot
	}
	return s
}

// Census is the whole shipped geography.
type Census struct {
	Provinces      []Province
	Districts      []District
	AgeBands       []AgeBand
	HouseholdSizes []HouseholdSizes
}

var (
	loadOnce sync.Once
	loaded   *Census
	loadErr  error
)

// Load parses the shipped data files (once; later calls return the same
// census, which callers must not modify) and checks them against each
// other.
func Load() (*Census, error) {
	loadOnce.Do(func() { loaded, loadErr = loadFS() })
	return loaded, loadErr
}

func loadFS() (*Census, error) {
	read := func(name string) []byte {
		b, err := dataFS.ReadFile("data/" + name)
		if err != nil {
			panic(err) // embedded at build time
		}
		return b
	}
	return Parse(read(ProvincesFile), read(DistrictsFile), read(AgeBandsFile), read(HouseholdSizesFile))
}

// Parse reads the four data files and checks them against each other:
// every district's province exists and the districts of a province with
// any sum to its population, urban, rural and household counts; the age
// bands sum to the provinces' totals (and Nam Định's column to its row);
// a province's household counts sum to its households.
func Parse(provinces, districts, ageBands, households []byte) (*Census, error) {
	c := &Census{}
	var err error
	if c.Provinces, err = ParseProvinces(ProvincesFile, provinces); err != nil {
		return nil, err
	}
	if c.Districts, err = ParseDistricts(DistrictsFile, districts); err != nil {
		return nil, err
	}
	if c.AgeBands, err = ParseAgeBands(AgeBandsFile, ageBands); err != nil {
		return nil, err
	}
	if c.HouseholdSizes, err = ParseHouseholdSizes(HouseholdSizesFile, households); err != nil {
		return nil, err
	}
	return c, c.check()
}

func (c *Census) check() error {
	// Districts against their province.
	type sums struct{ pop, urb, rur, hh, n int }
	byProv := map[string]*sums{}
	var provOrder []string
	for i := range c.Districts {
		d := &c.Districts[i]
		if _, ok := c.Province(d.Province); !ok {
			return &Error{File: DistrictsFile, Column: "province", Msg: fmt.Sprintf("district %s: unknown province %q", d.Slug, d.Province)}
		}
		s := byProv[d.Province]
		if s == nil {
			s = &sums{}
			byProv[d.Province] = s
			provOrder = append(provOrder, d.Province)
		}
		s.pop += d.Population
		s.urb += d.Urban
		s.rur += d.Rural
		s.hh += d.Households
		s.n++
	}
	for _, slug := range provOrder {
		p, _ := c.Province(slug)
		s := byProv[slug]
		for _, x := range []struct {
			what      string
			got, want int
		}{{"population", s.pop, p.Population}, {"urban", s.urb, p.Urban}, {"rural", s.rur, p.Rural},
			{"households", s.hh, p.Households}, {"district count", s.n, p.Districts}} {
			if x.got != x.want {
				return &Error{File: DistrictsFile, Msg: fmt.Sprintf("the districts of %s sum to %s %d, but %s says %d",
					slug, x.what, x.got, ProvincesFile, x.want)}
			}
		}
	}
	// Age bands against the provinces.
	var tot, urb, rur, nd int
	for _, b := range c.AgeBands {
		tot, urb, rur, nd = tot+b.Total, urb+b.Urban, rur+b.Rural, nd+b.NamDinh
	}
	var ptot, purb, prur int
	for _, p := range c.Provinces {
		ptot, purb, prur = ptot+p.Population, purb+p.Urban, prur+p.Rural
	}
	namDinh, ok := c.Province("nam-dinh")
	if !ok {
		return &Error{File: ProvincesFile, Msg: "no nam-dinh row (age-bands.csv has a Nam Định column)"}
	}
	for _, x := range []struct {
		what      string
		got, want int
	}{{"total", tot, ptot}, {"urban", urb, purb}, {"rural", rur, prur}, {"nam_dinh", nd, namDinh.Population}} {
		if x.got != x.want {
			return &Error{File: AgeBandsFile, Column: x.what, Msg: fmt.Sprintf("sums to %d, but the provinces' total is %d", x.got, x.want)}
		}
	}
	// Household counts against the province.
	hhByArea := map[string]float64{}
	for _, h := range c.HouseholdSizes {
		if h.Unit != "households" {
			continue
		}
		p, ok := c.Province(h.Area)
		if !ok {
			return &Error{File: HouseholdSizesFile, Column: "area", Msg: fmt.Sprintf("counts for unknown province %q", h.Area)}
		}
		for _, v := range h.Values {
			hhByArea[p.Slug] += v
		}
	}
	for slug, n := range hhByArea {
		p, _ := c.Province(slug)
		if int(n) != p.Households {
			return &Error{File: HouseholdSizesFile, Msg: fmt.Sprintf("the %s rows count %d households, but %s says %d",
				slug, int(n), ProvincesFile, p.Households)}
		}
	}
	return nil
}

// Province returns the province with the slug.
func (c *Census) Province(slug string) (*Province, bool) {
	for i := range c.Provinces {
		if c.Provinces[i].Slug == slug {
			return &c.Provinces[i], true
		}
	}
	return nil, false
}

// ProvinceSlugs lists the province slugs in the file's order.
func (c *Census) ProvinceSlugs() []string {
	out := make([]string, len(c.Provinces))
	for i := range c.Provinces {
		out[i] = c.Provinces[i].Slug
	}
	return out
}

// DistrictsOf returns the districts shipped for a province (none for most:
// only Nam Định's are).
func (c *Census) DistrictsOf(province string) []District {
	var out []District
	for _, d := range c.Districts {
		if d.Province == province {
			out = append(out, d)
		}
	}
	return out
}

// HouseholdsFor returns the household-size distribution for an area
// ("vietnam" or a province slug) and settlement ("urban", "rural"): the
// area's own row if shipped, else nothing.
func (c *Census) HouseholdsFor(area, settlement string) (*HouseholdSizes, bool) {
	for i := range c.HouseholdSizes {
		h := &c.HouseholdSizes[i]
		if h.Area == area && h.Settlement == settlement {
			return h, true
		}
	}
	return nil, false
}

// ParseProvinces reads provinces.csv.
func ParseProvinces(file string, data []byte) ([]Province, error) {
	t, err := newTable(file, data, []string{"slug", "name", "region", "population", "urban", "rural",
		"households", "districts", "area_km2", "area_source", "area_gadm_km2"})
	if err != nil {
		return nil, err
	}
	var out []Province
	for t.next() {
		p := Province{
			Slug: t.slug("slug"), Name: t.text("name"), Region: t.oneOf("region", regionCodes()...),
			Population: t.count("population"), Urban: t.count("urban"), Rural: t.count("rural"),
			Households: t.count("households"), Districts: t.count("districts"),
			AreaKm2: t.decimal("area_km2"), AreaSource: t.oneOf("area_source", "Y", "W", "B"),
			AreaGADMKm2: t.decimal("area_gadm_km2"),
		}
		switch {
		case t.err != nil:
		case p.Population < 1:
			t.fail("population", "must be at least 1")
		case p.Urban+p.Rural != p.Population:
			t.fail("rural", "urban %d + rural %d = %d, but population is %d", p.Urban, p.Rural, p.Urban+p.Rural, p.Population)
		case p.Households < 1 || p.Households > p.Population:
			t.fail("households", "want between 1 and the population (%d), got %d", p.Population, p.Households)
		case p.Districts < 1:
			t.fail("districts", "must be at least 1")
		case !(p.AreaKm2 > 0):
			t.fail("area_km2", "must be positive")
		case slices.ContainsFunc(out, func(q Province) bool { return q.Slug == p.Slug }):
			t.fail("slug", "%q is already a province", p.Slug)
		}
		out = append(out, p)
	}
	if t.err != nil {
		return nil, t.err
	}
	if len(out) == 0 {
		return nil, &Error{File: file, Msg: "no provinces"}
	}
	return out, nil
}

// ParseDistricts reads districts.csv.
func ParseDistricts(file string, data []byte) ([]District, error) {
	t, err := newTable(file, data, []string{"slug", "province", "name", "population", "urban", "rural",
		"households", "wards", "townships", "communes", "area_gadm_km2", "lat", "lon", "tile_row", "tile_col",
		"borders", "short_borders", "neighbour_provinces", "coast", "age_0_14", "age_15_64", "age_65_plus", "age_60_plus"})
	if err != nil {
		return nil, err
	}
	var out []District
	lines := map[string]int{}
	for t.next() {
		d := District{
			Slug: t.slug("slug"), Province: t.slug("province"), Name: t.text("name"),
			Population: t.count("population"), Urban: t.count("urban"), Rural: t.count("rural"),
			Households: t.count("households"),
			Wards:      t.count("wards"), Townships: t.count("townships"), Communes: t.count("communes"),
			AreaGADMKm2: t.decimal("area_gadm_km2"), Lat: t.decimal("lat"), Lon: t.decimal("lon"),
			TileRow: t.count("tile_row"), TileCol: t.count("tile_col"),
			Borders: t.slugs("borders"), ShortBorders: t.slugs("short_borders"),
			NeighbourProvinces: t.slugs("neighbour_provinces"), Coast: t.yesNo("coast"),
			Age0to14: t.count("age_0_14"), Age15to64: t.count("age_15_64"),
			Age65Plus: t.count("age_65_plus"), Age60Plus: t.count("age_60_plus"),
		}
		switch {
		case t.err != nil:
		case d.Population < 1:
			t.fail("population", "must be at least 1")
		case d.Urban+d.Rural != d.Population:
			t.fail("rural", "urban %d + rural %d = %d, but population is %d", d.Urban, d.Rural, d.Urban+d.Rural, d.Population)
		case d.Households < 1 || d.Households > d.Population:
			t.fail("households", "want between 1 and the population (%d), got %d", d.Population, d.Households)
		case d.Wards+d.Townships+d.Communes < 1:
			t.fail("communes", "a district needs at least one commune-level unit")
		case d.Urban > 0 && d.Wards+d.Townships == 0:
			t.fail("townships", "the district has urban people but no ward or township")
		case d.Rural > 0 && d.Communes == 0:
			t.fail("communes", "the district has rural people but no commune")
		case !(d.AreaGADMKm2 > 0):
			t.fail("area_gadm_km2", "must be positive")
		case d.Lat > 90 || d.Lon > 180:
			t.fail("lat", "want a latitude up to 90 and a longitude up to 180, got %v, %v", d.Lat, d.Lon)
		case d.TileRow > 100 || d.TileCol > 100:
			t.fail("tile_row", "want tile rows and columns up to 100, got %d, %d", d.TileRow, d.TileCol)
		case d.Age0to14+d.Age15to64+d.Age65Plus != d.Population:
			t.fail("age_65_plus", "the age groups sum to %d, but population is %d", d.Age0to14+d.Age15to64+d.Age65Plus, d.Population)
		case d.Age60Plus < d.Age65Plus || d.Age60Plus > d.Age65Plus+d.Age15to64:
			t.fail("age_60_plus", "must lie between age_65_plus (%d) and age_65_plus + age_15_64, got %d", d.Age65Plus, d.Age60Plus)
		case slices.Contains(d.Borders, d.Slug):
			t.fail("borders", "a district cannot border itself")
		case lines[d.Slug] > 0:
			t.fail("slug", "%q is already the district on line %d", d.Slug, lines[d.Slug])
		}
		for _, s := range d.ShortBorders {
			if !slices.Contains(d.Borders, s) {
				t.fail("short_borders", "%q is not among the borders", s)
			}
		}
		for _, o := range out {
			if o.Province == d.Province && o.TileRow == d.TileRow && o.TileCol == d.TileCol {
				t.fail("tile_col", "tile (%d, %d) is already %s's", d.TileRow, d.TileCol, o.Slug)
			}
		}
		lines[d.Slug] = t.line
		out = append(out, d)
	}
	if t.err != nil {
		return nil, t.err
	}
	// Borders name districts of the same province, both ways.
	for _, d := range out {
		for _, b := range d.Borders {
			i := slices.IndexFunc(out, func(o District) bool { return o.Slug == b })
			switch {
			case i < 0:
				return nil, &Error{File: file, Line: lines[d.Slug], Column: "borders", Msg: fmt.Sprintf("unknown district %q", b)}
			case out[i].Province != d.Province:
				return nil, &Error{File: file, Line: lines[d.Slug], Column: "borders",
					Msg: fmt.Sprintf("%q is in province %s, not %s (list it under neighbour_provinces)", b, out[i].Province, d.Province)}
			case !slices.Contains(out[i].Borders, d.Slug):
				return nil, &Error{File: file, Line: lines[b], Column: "borders",
					Msg: fmt.Sprintf("%s borders %s (line %d), so %s must list %s too", d.Slug, b, lines[d.Slug], b, d.Slug)}
			}
		}
	}
	return out, nil
}

// ParseAgeBands reads age-bands.csv: contiguous bands from age 0.
func ParseAgeBands(file string, data []byte) ([]AgeBand, error) {
	t, err := newTable(file, data, []string{"band", "age_min", "age_max", "total", "urban", "rural", "nam_dinh"})
	if err != nil {
		return nil, err
	}
	var out []AgeBand
	for t.next() {
		b := AgeBand{Label: t.text("band"), Min: t.count("age_min"), Max: t.count("age_max"),
			Total: t.count("total"), Urban: t.count("urban"), Rural: t.count("rural"), NamDinh: t.count("nam_dinh")}
		next := 0
		if len(out) > 0 {
			next = out[len(out)-1].Max + 1
		}
		switch {
		case t.err != nil:
		case b.Min != next:
			t.fail("age_min", "bands must be contiguous from 0: want %d, got %d", next, b.Min)
		case b.Max < b.Min || b.Max > 120:
			t.fail("age_max", "want between age_min (%d) and 120, got %d", b.Min, b.Max)
		case b.Urban+b.Rural != b.Total:
			t.fail("rural", "urban %d + rural %d = %d, but total is %d", b.Urban, b.Rural, b.Urban+b.Rural, b.Total)
		case b.NamDinh > b.Total:
			t.fail("nam_dinh", "is more than the country's total (%d)", b.Total)
		}
		out = append(out, b)
	}
	if t.err != nil {
		return nil, t.err
	}
	if len(out) == 0 {
		return nil, &Error{File: file, Msg: "no age bands"}
	}
	return out, nil
}

// ParseHouseholdSizes reads household-sizes.csv.
func ParseHouseholdSizes(file string, data []byte) ([]HouseholdSizes, error) {
	cols := []string{"area", "settlement", "unit", "size_1", "size_2", "size_3", "size_4", "size_5", "size_6", "size_7_plus"}
	t, err := newTable(file, data, cols)
	if err != nil {
		return nil, err
	}
	var out []HouseholdSizes
	for t.next() {
		h := HouseholdSizes{Area: t.slug("area"), Settlement: t.oneOf("settlement", "urban", "rural", "all"),
			Unit: t.oneOf("unit", "households", "percent")}
		sum := 0.0
		for i := range h.Values {
			col := cols[3+i]
			if h.Unit == "households" {
				h.Values[i] = float64(t.count(col))
			} else {
				h.Values[i] = t.decimal(col)
			}
			sum += h.Values[i]
		}
		switch {
		case t.err != nil:
		case h.Unit == "percent" && math.Abs(sum-100) > 0.5:
			t.fail("size_7_plus", "percentages sum to %v, want 100 (within rounding)", roundTo(sum, 2))
		case !(sum > 0):
			t.fail("size_1", "no households")
		case slices.ContainsFunc(out, func(o HouseholdSizes) bool { return o.Area == h.Area && o.Settlement == h.Settlement }):
			t.fail("settlement", "%s %s is already given", h.Area, h.Settlement)
		}
		out = append(out, h)
	}
	if t.err != nil {
		return nil, t.err
	}
	return out, nil
}

func roundTo(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// Sources is the one-line citation for outputs and scenario comments.
const Sources = "Vietnam 2019 Population and Housing Census, General Statistics Office (via shared/reference/vietnam.md)"

// RegionName returns the region's name for its code.
func RegionName(code string) string {
	for _, r := range Regions {
		if r.Code == code {
			return r.Name
		}
	}
	return code
}
