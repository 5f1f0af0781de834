package agents

import (
	"math"
	"testing"

	"github.com/bluesim/bluesim/radio"
)

// TestTownLayout checks the synthetic town's plane: every site inside the
// town's extent, markets at the centres of their neighbourhood cells,
// homes inside the cell of their first household's market, and the
// layout a function of the built population alone (the same on a rebuild,
// and nothing else of the population changed by it).
func TestTownLayout(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size, ppm  int
		wantMarket int
	}{
		{"one market", 1200, 5000, 1},
		{"four markets", 4000, 1000, 4},
		{"five markets, two rows", 5000, 1000, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Default(tc.size)
			p.PeoplePerMarket = tc.ppm
			pop, err := Build(p, radio.DefaultParams(), 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(pop.Markets) != tc.wantMarket {
				t.Fatalf("%d markets, want %d", len(pop.Markets), tc.wantMarket)
			}
			cell := math.Sqrt(float64(tc.ppm) / TownDensityPerKm2 * 1e6)
			cols := int(math.Ceil(math.Sqrt(float64(tc.wantMarket))))
			x0, y0, x1, y1 := pop.Extent()
			widest := 0.0 // sites' rooms reach past their position
			for _, s := range pop.Sites {
				widest = math.Max(widest, math.Max(float64(s.Rooms)*float64(s.RoomW), float64(s.RoomD)))
			}
			if x0 < 0 || y0 < 0 || x1 > float64(cols)*cell+widest || x1-x0 < cell/2 || y1-y0 < cell/2 {
				t.Errorf("extent (%v, %v)-(%v, %v) for %d cells of %.0f m", x0, y0, x1, y1, tc.wantMarket, cell)
			}
			for j, s := range pop.Markets {
				site := pop.Sites[s]
				cx := float64(site.X) + float64(site.RoomW)/2
				cy := float64(site.Y) + float64(site.RoomD)/2
				wx, wy := (float64(j%cols)+0.5)*cell, (float64(j/cols)+0.5)*cell
				if math.Abs(cx-wx) > 0.01 || math.Abs(cy-wy) > 0.01 {
					t.Errorf("market %d centred at (%.1f, %.1f), want its cell's centre (%.1f, %.1f)", j, cx, cy, wx, wy)
				}
			}
			for i := range pop.People {
				hx, hy := pop.HomePos(i)
				if math.IsNaN(hx) || hx < x0 || hx > x1 || hy < y0 || hy > y1 {
					t.Fatalf("person %d lives at (%v, %v), outside the town", i, hx, hy)
				}
			}
			// Homes in the cell of their first household's market.
			first := map[int32]int32{}
			for i := range pop.People {
				pp := &pop.People[i]
				if f, ok := first[pp.HomeSite]; !ok || pp.Household < f {
					first[pp.HomeSite] = pp.Household
				}
			}
			for s, hh := range first {
				j := int(hh) % len(pop.Markets)
				site := pop.Sites[s]
				cx0, cy0 := float64(j%cols)*cell, float64(j/cols)*cell
				if x, y := float64(site.X), float64(site.Y); x < cx0 || x > cx0+cell || y < cy0 || y > cy0+cell {
					t.Errorf("home site %d at (%.0f, %.0f), outside market %d's cell (%.0f, %.0f)+%.0f", s, x, y, j, cx0, cy0, cell)
				}
			}
			// A rebuild gives the same plane, and clearing the plane gives
			// back a population that does not know it was laid out.
			again, err := Build(p, radio.DefaultParams(), 7)
			if err != nil {
				t.Fatal(err)
			}
			for s := range pop.Sites {
				if pop.Sites[s] != again.Sites[s] {
					t.Fatalf("site %d: %+v, then %+v", s, pop.Sites[s], again.Sites[s])
				}
			}
		})
	}
}

// TestTownLayoutDrawsNothing: the people and sites but for their
// positions are what they were before the town had a plane; the layout
// consumes no random stream.
func TestTownLayoutDrawsNothing(t *testing.T) {
	p := Default(3000)
	pop, err := Build(p, radio.DefaultParams(), 11)
	if err != nil {
		t.Fatal(err)
	}
	bare := &Population{Params: p, Seed: 11}
	model, err := radio.NewModel(radio.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	bare.buildHouseholds()
	bare.assignSchools()
	bare.assignWork()
	bare.assignBuses()
	bare.buildPlaces()
	bare.drawPhones(model)
	if len(bare.People) != len(pop.People) || len(bare.Sites) != len(pop.Sites) {
		t.Fatalf("sizes differ: %d/%d people, %d/%d sites", len(bare.People), len(pop.People), len(bare.Sites), len(pop.Sites))
	}
	for i := range bare.People {
		if bare.People[i] != pop.People[i] {
			t.Fatalf("person %d differs", i)
		}
	}
	for s := range bare.Sites {
		got := pop.Sites[s]
		got.X, got.Y = 0, 0
		if got != bare.Sites[s] {
			t.Fatalf("site %d differs beyond its position", s)
		}
	}
}
