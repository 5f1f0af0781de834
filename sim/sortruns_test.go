package sim

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/bluesim/bluesim/sim/limits"
)

// sortRuns orders runs exactly as sorting them by cmpEntryMatch does,
// whether (day, time) are all distinct, often tied, or all the same.
func TestSortRunsEqualsCmpEntryMatch(t *testing.T) {
	cases := []struct {
		name       string
		n          int
		days, ts   int // distinct days and times drawn from
		segs, ents int
	}{
		{"one", 1, 1, 1, 1, 1},
		{"distinct", 500, 14, 864000, 4, 1000},
		{"ties", 500, 2, 5, 3, 50},
		{"all tied", 200, 1, 1, 4, 30},
		{"late in the day", 300, 15, 1 << 24, 2, 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.n), 7))
			rs := make([]mrun, tc.n)
			for i := range rs {
				rs[i] = mrun{u: 3, rx: 9, day: limits.Day(r.IntN(tc.days)), t: uint32(r.IntN(tc.ts)),
					seg: uint16(r.IntN(tc.segs)), ent: int32(r.IntN(tc.ents)), key: uint16(r.IntN(3)), n: uint16(1 + r.IntN(5)), adv: int32(i)}
			}
			want := slices.Clone(rs)
			slices.SortStableFunc(want, cmpEntryMatch)
			got := slices.Clone(rs)
			sortRuns(got, nil, nil)
			for i := range got {
				if cmpEntryMatch(got[i], want[i]) != 0 {
					t.Fatalf("run %d: got %+v, want %+v", i, got[i], want[i])
				}
			}
			// The same runs, none lost or repeated.
			seen := make([]bool, len(rs))
			for _, m := range got {
				if seen[m.adv] {
					t.Fatalf("run %d twice", m.adv)
				}
				seen[m.adv] = true
			}
		})
	}
}

// sortByHigh sorts keys whose low halves ascend in input order exactly as
// slices.Sort does, below and above the length where it turns to radix
// passes, for receivers that need one, two or three passes.
func TestSortByHighEqualsSort(t *testing.T) {
	cases := []struct {
		name string
		n    int
		hi   uint64 // high halves drawn from [0, hi)
	}{
		{"short", 100, 1 << 20},
		{"one receiver", 5000, 1},
		{"one pass", 5000, 1 << 11},
		{"two passes", 20000, 100_000},
		{"three passes", 20000, 1 << 31},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(tc.hi, uint64(tc.n)))
			keys := make([]uint64, tc.n)
			for i := range keys {
				keys[i] = r.Uint64N(tc.hi)<<32 | uint64(i)*3
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			got, _ := sortByHigh(slices.Clone(keys), nil)
			if !slices.Equal(got, want) {
				t.Fatalf("sortByHigh differs from slices.Sort")
			}
		})
	}
}
