package tracing

import (
	"math/rand/v2"
	"testing"
)

func TestIndexLookupMatchesLinearScan(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000, 70000} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		store := make([]Sighting, n)
		for i := range store {
			// Few distinct IDs so that buckets hold duplicates.
			store[i].ID[0] = byte(rng.IntN(4))
			store[i].ID[1] = byte(rng.IntN(300))
			store[i].ID[15] = byte(rng.IntN(2))
			store[i].Time = rng.Int64N(1000)
		}
		ix := NewIndex(store)
		for q := 0; q < 200; q++ {
			var id ID
			id[0], id[1], id[15] = byte(rng.IntN(4)), byte(rng.IntN(300)), byte(rng.IntN(2))
			from := rng.Int64N(1000)
			to := from + rng.Int64N(300)
			var want []int
			for i, s := range store {
				if s.ID == id && s.Time >= from && s.Time <= to {
					want = append(want, i)
				}
			}
			var got []int
			ix.Lookup(&id, from, to, func(p int) { got = append(got, p) })
			if len(got) != len(want) {
				t.Fatalf("n=%d: lookup found %d sightings, linear scan %d", n, len(got), len(want))
			}
			seen := map[int]bool{}
			for _, p := range got {
				seen[p] = true
			}
			for _, p := range want {
				if !seen[p] {
					t.Fatalf("n=%d: lookup missed sighting %d", n, p)
				}
			}
			if ix.Contains(&id, from, to) != (len(want) > 0) {
				t.Fatalf("n=%d: Contains disagrees with the scan", n)
			}
		}
	}
}
