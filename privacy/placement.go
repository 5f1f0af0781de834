package privacy

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/bluesim/bluesim/radio"
)

// Candidate is a real place of the town where a sniffer could stand: a
// market, a bus stop, a school gate, a venue. The engine lists them from
// its sites; Place never sees who uses them.
type Candidate struct {
	Kind PlaceKind
	Pos  Point
}

// Rect is an axis-aligned rectangle of the town plane (metres).
type Rect struct {
	Min, Max Point
}

// KindRule says how many sniffers go to the places of one kind: Count
// places, or Share of them (rounded to the nearest whole place). Exactly
// one of the two is set.
type KindRule struct {
	Kind  PlaceKind `json:"kind" yaml:"kind"`
	Count int       `json:"count,omitempty" yaml:"count,omitempty"`
	Share float64   `json:"share,omitempty" yaml:"share,omitempty"`
}

// Policy is the adversary's placement policy: how many sniffers at each
// kind of place, plus optionally a regular grid over the whole town, all
// listening on one schedule.
//
// Which places of a kind get a sniffer is a seeded draw (Place): a random
// order of the kind's candidates, keyed by (seed, kind), of which the first
// n are taken. A policy with more sniffers of a kind therefore keeps every
// place of a policy with fewer (common random numbers: a curve over the
// number of sniffers is smooth and its differences are real).
type Policy struct {
	// Kinds lists the place kinds to cover, at most once each; Grid is
	// not a place kind here (use GridSpacingM).
	Kinds []KindRule `json:"kinds" yaml:"kinds"`
	// GridSpacingM, when positive, adds a sniffer at the centre of every
	// cell of a lattice of about GridSpacingM x GridSpacingM metres over
	// the town (the cells divide the town's extent evenly, so the real
	// spacing is within a factor of 2 of the one asked, and equal to it
	// when it divides the extent). 0: no grid.
	GridSpacingM float64 `json:"grid_spacing_m,omitempty" yaml:"grid_spacing_m,omitempty"`
	// Scan is every sniffer's listening schedule.
	Scan ScanSchedule `json:"scan" yaml:"scan"`
}

// MaxGridSniffers bounds the number of grid points a policy may ask for.
const MaxGridSniffers = 1 << 20

// Validate checks the policy's own fields (Place also checks it against
// the candidates).
func (p Policy) Validate() error {
	seen := map[PlaceKind]int{}
	for i, r := range p.Kinds {
		f := fmt.Sprintf("kinds[%d]", i)
		switch {
		case r.Kind >= numPlaceKinds:
			return fmt.Errorf("%s.kind: invalid place kind %d", f, uint8(r.Kind))
		case r.Kind == Grid:
			return fmt.Errorf("%s.kind: grid is not a kind of place; set grid_spacing_m for a grid", f)
		case r.Count < 0:
			return fmt.Errorf("%s.count: want a number of sniffers >= 0, got %d", f, r.Count)
		case !(r.Share >= 0 && r.Share <= 1):
			return fmt.Errorf("%s.share: want a share of the places between 0 and 1, got %v", f, r.Share)
		case r.Count > 0 && r.Share > 0:
			return fmt.Errorf("%s: give count or share, not both (count %d, share %v)", f, r.Count, r.Share)
		}
		if j, dup := seen[r.Kind]; dup {
			return fmt.Errorf("%s.kind: %s already has a rule (kinds[%d])", f, r.Kind, j)
		}
		seen[r.Kind] = i
	}
	if !(p.GridSpacingM >= 0) || math.IsInf(p.GridSpacingM, 0) {
		return fmt.Errorf("grid_spacing_m: want a spacing in metres >= 0 (0: no grid), got %v", p.GridSpacingM)
	}
	return p.Scan.Validate("scan.")
}

// placementTag keys the placement draws ("plac" in ASCII).
const placementTag = 0x706c6163

// Place puts the policy's sniffers at candidate places and on the grid.
// town is the extent the grid covers; its zero value means the bounding
// box of the candidates. The draw is a pure function of (seed, policy,
// the set of candidates): the candidates' order does not matter. Sniffers
// come out by kind (market, bus stop, school gate, venue, grid), within a
// kind in draw order (grid points row by row), numbered 0..n-1; Place is
// the candidate's index in candidates.
func Place(p Policy, town Rect, candidates []Candidate, seed uint64) ([]Sniffer, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	for i, c := range candidates {
		switch {
		case c.Kind >= numPlaceKinds || c.Kind == Grid:
			return nil, fmt.Errorf("candidates[%d].kind: want market, bus_stop, school_gate or venue, got %v", i, c.Kind)
		case !finite(c.Pos.X) || !finite(c.Pos.Y):
			return nil, fmt.Errorf("candidates[%d].pos: want a finite position, got (%v, %v)", i, c.Pos.X, c.Pos.Y)
		}
	}
	var byKind [numPlaceKinds][]int
	for i, c := range candidates {
		byKind[c.Kind] = append(byKind[c.Kind], i)
	}
	want := [numPlaceKinds]int{}
	for i, r := range p.Kinds {
		n := len(byKind[r.Kind])
		k := r.Count
		if r.Share > 0 {
			k = int(math.Round(r.Share * float64(n)))
		}
		if k > n {
			return nil, fmt.Errorf("kinds[%d].count: %d sniffers at %s places, but the town has only %d", i, k, r.Kind, n)
		}
		want[r.Kind] = k
	}
	var out []Sniffer
	add := func(kind PlaceKind, pos Point, place int) {
		out = append(out, Sniffer{ID: uint32(len(out)), Kind: kind, Pos: pos, Place: place, Scan: p.Scan})
	}
	for kind := range Grid {
		idx := byKind[kind]
		if want[kind] == 0 {
			continue
		}
		// A canonical order first, so that the draw does not depend on
		// the order the caller listed the places in.
		slices.SortFunc(idx, func(a, b int) int {
			pa, pb := candidates[a].Pos, candidates[b].Pos
			return cmp.Or(cmp.Compare(pa.X, pb.X), cmp.Compare(pa.Y, pb.Y), cmp.Compare(a, b))
		})
		r := radio.NewRand(seed, placementTag, uint64(kind))
		// A partial Fisher-Yates shuffle: the first k of a uniform random
		// order, the same prefix whatever k.
		for j := range want[kind] {
			l := j + r.IntN(len(idx)-j)
			idx[j], idx[l] = idx[l], idx[j]
			add(kind, candidates[idx[j]].Pos, idx[j])
		}
	}
	if p.GridSpacingM > 0 {
		if town == (Rect{}) {
			town = bounds(candidates)
		}
		if !finite(town.Min.X) || !finite(town.Min.Y) || !finite(town.Max.X) || !finite(town.Max.Y) ||
			town.Max.X < town.Min.X || town.Max.Y < town.Min.Y {
			return nil, fmt.Errorf("town extent (%v, %v)-(%v, %v): want finite corners with min <= max", town.Min.X, town.Min.Y, town.Max.X, town.Max.Y)
		}
		w, h := town.Max.X-town.Min.X, town.Max.Y-town.Min.Y
		nx, ny := max(1, math.Round(w/p.GridSpacingM)), max(1, math.Round(h/p.GridSpacingM))
		if nx*ny > MaxGridSniffers {
			return nil, fmt.Errorf("grid_spacing_m: %v m over %.0f x %.0f m makes %.0f sniffers, more than %d", p.GridSpacingM, w, h, nx*ny, MaxGridSniffers)
		}
		for j := range int(ny) {
			for i := range int(nx) {
				add(Grid, Point{town.Min.X + (float64(i)+0.5)*w/nx, town.Min.Y + (float64(j)+0.5)*h/ny}, -1)
			}
		}
	}
	return out, nil
}

func bounds(cs []Candidate) Rect {
	if len(cs) == 0 {
		return Rect{}
	}
	r := Rect{cs[0].Pos, cs[0].Pos}
	for _, c := range cs[1:] {
		r.Min.X, r.Min.Y = math.Min(r.Min.X, c.Pos.X), math.Min(r.Min.Y, c.Pos.Y)
		r.Max.X, r.Max.Y = math.Max(r.Max.X, c.Pos.X), math.Max(r.Max.Y, c.Pos.Y)
	}
	return r
}
