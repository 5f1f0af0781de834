package tracing

import (
	"math/rand/v2"
	"slices"
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

// randomID fills the first idLen bytes of an ID from rng, as a protocol
// with idLen-byte IDs broadcasts them (the rest stay zero).
func randomID(rng *rand.Rand, idLen int) ID {
	var id ID
	for j := range idLen {
		id[j] = byte(rng.Uint32())
	}
	return id
}

// TestIndexFilterNoFalseNegative checks the prefilter against a linear scan
// over random stores of every ID shape the protocols broadcast (16, 12 and
// 6 significant bytes) and of IDs that differ only in a few bytes: whatever
// a scan finds, MayContain must admit and Lookup and Contains must find.
func TestIndexFilterNoFalseNegative(t *testing.T) {
	for _, tc := range []struct {
		name  string
		idLen int
		sizes []int
	}{
		{"16-byte", 16, []int{0, 1, 3, 64, 500, 5000, 40000}},
		{"12-byte", 12, []int{1, 2, 100, 5000, 40000}},
		{"6-byte", 6, []int{1, 9, 1000, 40000}},
		// Only bytes 0, 1 (the bucket prefix, which the filter skips) and
		// 15 vary: many IDs share a filter slot.
		{"prefix-only", 0, []int{1, 50, 5000}},
	} {
		for _, n := range tc.sizes {
			rng := rand.New(rand.NewPCG(uint64(n), uint64(tc.idLen)+100))
			newID := func() ID {
				if tc.idLen == 0 {
					var id ID
					id[0], id[1], id[15] = byte(rng.IntN(256)), byte(rng.IntN(3)), byte(rng.IntN(2))
					return id
				}
				return randomID(rng, tc.idLen)
			}
			store := make([]Sighting, n)
			for i := range store {
				store[i] = Sighting{ID: newID(), Time: rng.Int64N(1000)}
				if i > 0 && rng.IntN(4) == 0 {
					store[i].ID = store[rng.IntN(i)].ID // repeated sightings
				}
			}
			ix := NewIndex(store)
			// A stored ID is sighted by definition: all must pass.
			for i := range store {
				if !ix.MayContain(&store[i].ID) {
					t.Fatalf("%s n=%d: MayContain(%x) = false for a sighted ID", tc.name, n, store[i].ID)
				}
			}
			// Up to 1000 stored IDs and 1000 fresh ones against the scan.
			queries := make([]ID, 0, 2000)
			for range min(n, 1000) {
				queries = append(queries, store[rng.IntN(n)].ID)
			}
			for range 1000 {
				queries = append(queries, newID())
			}
			for _, id := range queries {
				from := rng.Int64N(1000)
				to := from + rng.Int64N(500)
				any, want := false, 0
				for _, s := range store {
					if s.ID == id {
						any = true
						if s.Time >= from && s.Time <= to {
							want++
						}
					}
				}
				if any && !ix.MayContain(&id) {
					t.Fatalf("%s n=%d: MayContain(%x) = false for a sighted ID", tc.name, n, id)
				}
				got := 0
				ix.Lookup(&id, from, to, func(int) { got++ })
				if got != want {
					t.Fatalf("%s n=%d: Lookup(%x) found %d sightings, the scan %d", tc.name, n, id, got, want)
				}
				if ix.Contains(&id, from, to) != (want > 0) {
					t.Fatalf("%s n=%d: Contains(%x) disagrees with the scan", tc.name, n, id)
				}
			}
		}
	}
}

// TestIndexFilterRejects checks that the filter does its job for every ID
// shape: at the bench store size it must turn away nearly all IDs nobody
// sighted (about 0.4% get through; the bound leaves room for the hash
// being weaker on short IDs, not for a filter that passes everything).
func TestIndexFilterRejects(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100,000-sighting indexes")
	}
	for _, idLen := range []int{16, 12, 6} {
		rng := rand.New(rand.NewPCG(uint64(idLen), 5))
		store := make([]Sighting, 100_000)
		seen := make(map[ID]bool, len(store))
		for i := range store {
			store[i].ID = randomID(rng, idLen)
			seen[store[i].ID] = true
		}
		ix := NewIndex(store)
		const q = 200_000
		pass := 0
		for range q {
			id := randomID(rng, idLen)
			if !seen[id] && ix.MayContain(&id) {
				pass++
			}
		}
		rate := float64(pass) / q
		t.Logf("%d-byte IDs: %.3f%% of unsighted IDs pass the filter", idLen, 100*rate)
		if rate > 0.01 {
			t.Errorf("%d-byte IDs: %.2f%% of unsighted IDs pass the filter, want under 1%%", idLen, 100*rate)
		}
	}
}

// benchStore is n sightings of uniformly random 16-byte IDs, the shape of
// GAEN RPIs and DP-3T EphIDs, with times spread over a day.
func benchStore(n int) []Sighting {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	store := make([]Sighting, n)
	for i := range store {
		for j := 0; j < MaxIDLen; j += 8 {
			v := rng.Uint64()
			for k := range 8 {
				store[i].ID[j+k] = byte(v >> (8 * k))
			}
		}
		store[i].Time = rng.Int64N(86_400_000)
	}
	return store
}

// benchQueries returns 4096 IDs: sighted ones for a hit, fresh random ones
// (which, at 2^-128 odds, nobody sighted) for a miss.
func benchQueries(store []Sighting, hit bool) []ID {
	rng := rand.New(rand.NewPCG(99, 8))
	qs := make([]ID, 4096)
	for i := range qs {
		if hit {
			qs[i] = store[rng.IntN(len(store))].ID
			continue
		}
		for j := range qs[i] {
			qs[i][j] = byte(rng.Uint32())
		}
	}
	return qs
}

// BenchmarkIndexLookup looks IDs up in an index of 100,000 sightings, the
// bench match store size. The queries cycle through 4096 IDs so that the
// accesses into the index are as scattered as a matcher's.
func BenchmarkIndexLookup(b *testing.B) {
	store := benchStore(100_000)
	for _, bc := range []struct {
		name   string
		hit    bool
		filter bool
	}{
		{"hit/filter", true, true},
		{"miss/filter", false, true},
		{"hit/nofilter", true, false},
		{"miss/nofilter", false, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ix := NewIndex(store)
			if !bc.filter {
				// One all-ones word passes every ID: the lookup then costs
				// what it did before the filter, plus one cached probe.
				ix.filter, ix.fshift = []uint64{^uint64(0)}, 64
			}
			qs := benchQueries(store, bc.hit)
			n, i := 0, 0
			b.ReportAllocs()
			for b.Loop() {
				ix.Lookup(&qs[i&4095], 0, 86_400_000, func(int) { n++ })
				i++
			}
			if bc.hit && n < i {
				b.Fatalf("%d hits for %d sighted IDs", n, i)
			}
		})
	}
}

// TestIndexOrder checks that the bucketed build orders the store exactly
// as one comparison sort by (ID bytes, time, position) does, for stores of
// unique IDs, of a few IDs seen many times (large buckets) and of equal
// IDs at equal times.
func TestIndexOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, ids  int
		maxTime int64
		idLen   int
	}{
		{"unique", 5000, 0, 1 << 40, 16},
		{"short IDs", 3000, 0, 1 << 40, 6},
		{"few IDs", 4000, 7, 1000, 16},
		{"equal times", 2000, 50, 3, 12},
		{"one", 1, 0, 10, 16},
		{"empty", 0, 0, 10, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.ids)))
			pool := make([]ID, tc.ids)
			for i := range pool {
				pool[i] = randomID(rng, tc.idLen)
			}
			store := make([]Sighting, tc.n)
			for i := range store {
				if tc.ids > 0 {
					store[i].ID = pool[rng.IntN(tc.ids)]
				} else {
					store[i].ID = randomID(rng, tc.idLen)
				}
				store[i].Time = rng.Int64N(tc.maxTime)
			}
			want := make([]int32, tc.n)
			for i := range want {
				want[i] = int32(i)
			}
			slices.SortFunc(want, func(a, b int32) int { return cmpSighting(store, a, b) })
			ix := NewIndex(store)
			if !slices.Equal(ix.order, want) {
				t.Fatal("bucketed order differs from the comparison sort")
			}
			for b := 0; b+1 < len(ix.offsets); b++ {
				for _, p := range ix.order[ix.offsets[b]:ix.offsets[b+1]] {
					if ix.bucket(&store[p].ID) != uint32(b) {
						t.Fatalf("sighting %d in bucket %d, its ID's bucket is %d", p, b, ix.bucket(&store[p].ID))
					}
				}
			}
		})
	}
}

// BenchmarkNewIndex builds the index of 100,000 sightings of random IDs.
func BenchmarkNewIndex(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	store := make([]Sighting, 100_000)
	for i := range store {
		store[i] = Sighting{ID: randomID(rng, 16), Time: rng.Int64N(1 << 40)}
	}
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(store)
	}
}
