package geo

import (
	"errors"
	"strings"
	"testing"
)

// TestShippedTotals checks the shipped files against the census totals of
// vietnam.md: 96,208,984 people in the 63 provinces (§1.1), 1,780,393 in
// Nam Định's ten districts (§2.1), and the age bands and household counts
// adding up to the same people and households (§3).
func TestShippedTotals(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Provinces) != 63 {
		t.Errorf("%d provinces, want 63", len(c.Provinces))
	}
	var pop, urb, rur, hh int
	for _, p := range c.Provinces {
		pop, urb, rur, hh = pop+p.Population, urb+p.Urban, rur+p.Rural, hh+p.Households
	}
	for _, x := range []struct {
		what      string
		got, want int
	}{
		{"population", pop, VietnamPopulation}, {"urban", urb, 33_122_548}, {"rural", rur, 63_086_436},
		{"households", hh, 26_870_079},
	} {
		if x.got != x.want {
			t.Errorf("provinces: %s %d, want %d (vietnam.md §1.1)", x.what, x.got, x.want)
		}
	}
	ds := c.DistrictsOf("nam-dinh")
	if len(ds) != 10 {
		t.Fatalf("%d Nam Định districts, want 10", len(ds))
	}
	var dpop, dhh, communes int
	for _, d := range ds {
		dpop += d.Population
		dhh += d.Households
		communes += d.Wards + d.Townships + d.Communes
	}
	if dpop != NamDinhPopulation || dhh != 570_901 || communes != 229 {
		t.Errorf("Nam Định districts: %d people, %d households, %d communes; want 1,780,393, 570,901, 229 (vietnam.md §2.1)", dpop, dhh, communes)
	}
	nd, _ := c.Province("nam-dinh")
	if nd.Population != NamDinhPopulation {
		t.Errorf("nam-dinh province row: %d people", nd.Population)
	}
	var bands, ndBands int
	for _, b := range c.AgeBands {
		bands += b.Total
		ndBands += b.NamDinh
	}
	if bands != VietnamPopulation || ndBands != NamDinhPopulation {
		t.Errorf("age bands sum to %d and %d (Nam Định), want %d and %d", bands, ndBands, VietnamPopulation, NamDinhPopulation)
	}
	if c.AgeBands[0].Min != 0 || c.AgeBands[len(c.AgeBands)-1].Label != "85+" {
		t.Errorf("age bands from %d to %s", c.AgeBands[0].Min, c.AgeBands[len(c.AgeBands)-1].Label)
	}
	var ndHH float64
	for _, s := range []string{"urban", "rural"} {
		h, ok := c.HouseholdsFor("nam-dinh", s)
		if !ok {
			t.Fatalf("no nam-dinh %s household sizes", s)
		}
		for _, v := range h.Values {
			ndHH += v
		}
	}
	if ndHH != 570_901 {
		t.Errorf("Nam Định household sizes count %v households, want 570,901", ndHH)
	}
	// Mỹ Lộc borders Nam Định city, and Nam Định city borders it back.
	city := ds[0]
	if city.Slug != "nam-dinh-city" || city.Urban != 179_229 || city.TileRow != 0 || city.TileCol != 2 {
		t.Errorf("first district %+v", city)
	}
}

func TestRegionsPartitionProvinces(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	// vietnam.md §1.2: the regions' populations as GSO published them.
	want := map[string]int{"RRD": 22_543_607, "NCC": 20_187_293, "CH": 5_842_681, "SE": 17_828_907,
		"NMM": 12_532_866, "MRD": 17_273_630}
	got := map[string]int{}
	for _, p := range c.Provinces {
		got[p.Region] += p.Population
	}
	for r, n := range want {
		if got[r] != n {
			t.Errorf("region %s: %d people, want %d", r, got[r], n)
		}
	}
}

const (
	provHeader = "slug,name,region,population,urban,rural,households,districts,area_km2,area_source,area_gadm_km2\n"
	provRow    = "nam-dinh,Tỉnh Nam Định,RRD,1780393,323654,1456739,570901,10,1668.8,Y,1591\n"
)

// TestParseErrors checks that bad input is refused with the file, line and
// column at fault.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "p.csv: empty file"},
		{"comments only", "# nothing\n", "p.csv: no header line"},
		{"bad header", "slug,name\n", `p.csv:1: header is "slug,name"`},
		{"header after comments", "# a\n# b\nslug\n", `p.csv:3: header is "slug"`},
		{"short row", provHeader + "nam-dinh,x\n", "p.csv:2: 2 fields, want 11"},
		{"sum", provHeader + strings.Replace(provRow, "1456739", "1456738", 1), "p.csv:2: rural: urban 323654 + rural 1456738 = 1780392, but population is 1780393"},
		{"sign", provHeader + strings.Replace(provRow, "323654", "+323654", 1), `p.csv:2: urban: want a whole number (digits only), got "+323654"`},
		{"region", provHeader + strings.Replace(provRow, "RRD", "XX", 1), `p.csv:2: region: want one of RRD, NMM, NCC, CH, SE, MRD, got "XX"`},
		{"slug", provHeader + strings.Replace(provRow, "nam-dinh", "Nam Dinh", 1), `p.csv:2: slug: want a slug`},
		{"nan area", provHeader + strings.Replace(provRow, "1668.8", "NaN", 1), `p.csv:2: area_km2: want a non-negative decimal number`},
		{"duplicate", provHeader + provRow + provRow, `p.csv:3: slug: "nam-dinh" is already a province`},
		{"quote", provHeader + "\"nam\n", `p.csv:2: extraneous or missing " in quoted-field`},
		{"households", provHeader + strings.Replace(provRow, "570901", "0", 1), "p.csv:2: households: want between 1 and the population"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProvinces("p.csv", []byte(tc.data))
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("got %v, want a *geo.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseDistrictErrors(t *testing.T) {
	good, err := dataFS.ReadFile("data/" + DistrictsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"one-way border", "my-loc;vu-ban;nam-truc,,,no", "my-loc;vu-ban,,,no", "districts.csv:19: borders: nam-truc borders nam-dinh-city (line 24), so nam-dinh-city must list nam-truc too"},
		{"unknown border", "nam-dinh-city;vu-ban,,ha-nam", "nam-dinh-city;vu-ban;hanoi,,ha-nam", `districts.csv:20: borders: unknown district "hanoi"`},
		{"ages", "54230,152726,29338", "54230,152726,29339", "districts.csv:19: age_65_plus: the age groups sum to 236295, but population is 236294"},
		{"tile", "20.457,106.135,0,1", "20.457,106.135,0,2", "districts.csv:20: tile_col: tile (0, 2) is already nam-dinh-city's"},
		{"short", "vu-ban;nghia-hung,nghia-hung", "vu-ban;nghia-hung,hai-hau", `short_borders: "hai-hau" is not among the borders`},
		{"coast", ",yes,41489", ",maybe,41489", `coast: want yes or no, got "maybe"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(string(good), tc.old, tc.new, 1)
			if data == string(good) {
				t.Fatalf("%q not in the file", tc.old)
			}
			_, err := ParseDistricts(DistrictsFile, []byte(data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCrossFileChecks changes one number so that the files disagree.
func TestCrossFileChecks(t *testing.T) {
	read := func(n string) []byte {
		b, err := dataFS.ReadFile("data/" + n)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prov, dist, ages, hh := read(ProvincesFile), read(DistrictsFile), read(AgeBandsFile), read(HouseholdSizesFile)
	sub := func(b []byte, old, new string) []byte {
		s := strings.Replace(string(b), old, new, 1)
		if s == string(b) {
			t.Fatalf("%q not found", old)
		}
		return []byte(s)
	}
	for _, tc := range []struct {
		name                string
		prov, dist, ages, h []byte
		want                string
	}{
		{"district sum", prov, sub(dist, "236294,179229,57065,72985", "236294,179229,57065,72986"), ages, hh,
			"districts.csv: the districts of nam-dinh sum to households 570902, but provinces.csv says 570901"},
		{"age total", prov, dist, sub(ages, "0-04,0,4,7819326,2436970,5382356", "0-04,0,4,7819327,2436971,5382356"), hh,
			"age-bands.csv: total: sums to 96208985, but the provinces' total is 96208984"},
		{"households", prov, dist, ages, sub(hh, "12150,24467", "12151,24467"),
			"household-sizes.csv: the nam-dinh rows count 570902 households, but provinces.csv says 570901"},
		{"district province", prov, []byte(strings.SplitAfter(string(dist), "age_60_plus\n")[0] +
			"x,nowhere,X,10,5,5,3,1,0,1,1,20,106,0,0,,,,no,2,6,2,3\n"), ages, hh,
			`district x: unknown province "nowhere"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.prov, tc.dist, tc.ages, tc.h)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
