package loadgen

import (
	"math"
	"testing"
)

func TestPlanFloor(t *testing.T) {
	national, _ := DefaultNationalLoad.Scale(1)
	for _, tc := range []struct {
		name    string
		mix     Mix
		rate    float64
		want    [numKinds]float64
		floored [numKinds]bool
	}{
		{"no floor needed", Mix{Publish: 1, Chaff: 9, Index: 40, Export: 50}, 1000,
			[numKinds]float64{10, 90, 400, 500}, [numKinds]bool{}},
		{"publish floored", Mix{Publish: 1, Chaff: 9, Index: 40, Export: 50}, 50,
			[numKinds]float64{1, 49 * 9.0 / 99, 49 * 40.0 / 99, 49 * 50.0 / 99}, [numKinds]bool{true}},
		{"a kind left out stays out", Mix{Index: 1, Export: 1}, 10,
			[numKinds]float64{0, 0, 5, 5}, [numKinds]bool{}},
		{"flooring pushes another under", Mix{Publish: 1, Chaff: 1, Index: 97}, 2.5,
			[numKinds]float64{1, 1, 1}, [numKinds]bool{true, true, true}},
		{"rate under one per kind", Mix{Publish: 1, Chaff: 1, Index: 1, Export: 1}, 2,
			[numKinds]float64{1, 1, 1, 1}, [numKinds]bool{true, true, true, true}},
		{"national load at 200/s", national, 200,
			[numKinds]float64{1, 199 * national.Chaff / (national.Chaff + national.Index + national.Export),
				199 * national.Index / (national.Chaff + national.Index + national.Export),
				199 * national.Export / (national.Chaff + national.Index + national.Export)},
			[numKinds]bool{true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.mix.Plan(tc.rate)
			for k := range numKinds {
				if math.Abs(p[k].Rate-tc.want[k]) > 1e-9 || p[k].Floored != tc.floored[k] {
					t.Errorf("%s: rate %v floored %v, want %v %v", k, p[k].Rate, p[k].Floored, tc.want[k], tc.floored[k])
				}
				if p[k].Rate > 0 && p[k].Rate < MinKindRate {
					t.Errorf("%s at %v/s, under the floor", k, p[k].Rate)
				}
			}
			if total := planTotal(p); tc.rate >= 4 && math.Abs(total-tc.rate) > 1e-9 {
				t.Errorf("total %v, want the asked %v", total, tc.rate)
			}
		})
	}
}

// TestSchedulerShares: after any number of requests each kind has had its
// share to within two requests, and every kind comes in the first few.
func TestSchedulerShares(t *testing.T) {
	national, _ := DefaultNationalLoad.Scale(1)
	for _, mix := range []Mix{national, DefaultMix, {Index: 1}, {Publish: 1, Export: 3}} {
		p := mix.Plan(200)
		s := newScheduler(p)
		total := planTotal(p)
		var got [numKinds]int
		kinds := 0
		for k := range numKinds {
			if p[k].Rate > 0 {
				kinds++
			}
		}
		for i := 1; i <= 5000; i++ {
			got[s.next()]++
			for k := range numKinds {
				want := float64(i) * p[k].Rate / total
				if math.Abs(float64(got[k])-want) > 2 {
					t.Fatalf("mix %+v after %d requests: %s sent %d, want %.2f", mix, i, Kind(k), got[k], want)
				}
				if i == kinds && p[k].Rate > 0 && got[k] == 0 {
					t.Fatalf("mix %+v: %s not among the first %d requests", mix, Kind(k), kinds)
				}
			}
		}
	}
}
