package privacy

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func testCandidates() []Candidate {
	var cs []Candidate
	for i := range 10 {
		cs = append(cs, Candidate{Market, Point{float64(10 * i), 5}})
	}
	for i := range 20 {
		cs = append(cs, Candidate{BusStop, Point{float64(7 * i), 50}})
	}
	for i := range 4 {
		cs = append(cs, Candidate{SchoolGate, Point{30, float64(20 * i)}})
	}
	return cs
}

func TestPlace(t *testing.T) {
	cands := testCandidates()
	scan := DefaultScanSchedule()
	for _, tc := range []struct {
		name   string
		policy Policy
		town   Rect
		want   map[PlaceKind]int
	}{
		{"counts", Policy{Kinds: []KindRule{{Kind: Market, Count: 3}, {Kind: BusStop, Count: 5}}, Scan: scan}, Rect{}, map[PlaceKind]int{Market: 3, BusStop: 5}},
		{"shares round to the nearest place", Policy{Kinds: []KindRule{{Kind: BusStop, Share: 0.33}, {Kind: SchoolGate, Share: 1}}, Scan: scan}, Rect{}, map[PlaceKind]int{BusStop: 7, SchoolGate: 4}},
		{"no venues in town", Policy{Kinds: []KindRule{{Kind: Venue, Share: 1}}, Scan: scan}, Rect{}, map[PlaceKind]int{}},
		{"grid over the candidates' box (133 x 60 m)", Policy{GridSpacingM: 30, Scan: scan}, Rect{}, map[PlaceKind]int{Grid: 8}},
		{"grid over the town", Policy{GridSpacingM: 100, Scan: scan}, Rect{Max: Point{1000, 500}}, map[PlaceKind]int{Grid: 50}},
		{"grid finer than the town", Policy{GridSpacingM: 5000, Scan: scan}, Rect{Max: Point{1000, 500}}, map[PlaceKind]int{Grid: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sn, err := Place(tc.policy, tc.town, cands, 7)
			if err != nil {
				t.Fatal(err)
			}
			got := map[PlaceKind]int{}
			for i, s := range sn {
				got[s.Kind]++
				if s.ID != uint32(i) || s.Scan != scan {
					t.Fatalf("sniffer %d: id %d scan %+v", i, s.ID, s.Scan)
				}
				if i > 0 && s.Kind < sn[i-1].Kind {
					t.Fatalf("sniffer %d (%v) after a %v", i, s.Kind, sn[i-1].Kind)
				}
				if s.Kind == Grid {
					if s.Place != -1 {
						t.Fatalf("grid sniffer %d at place %d", i, s.Place)
					}
					continue
				}
				if c := cands[s.Place]; c.Kind != s.Kind || c.Pos != s.Pos {
					t.Fatalf("sniffer %d at place %d: %+v, the place is %+v", i, s.Place, s, c)
				}
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("%d sniffers at %v, want %d", got[k], k, n)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("kinds %v, want %v", got, tc.want)
			}
			if err := checkSniffers(sn); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestPlaceCommonRandomNumbers: more sniffers of a kind keep the places of
// fewer, the draw ignores the candidates' order, and another seed draws
// other places.
func TestPlaceCommonRandomNumbers(t *testing.T) {
	cands := testCandidates()
	places := func(n int, cs []Candidate, seed uint64) []Point {
		sn, err := Place(Policy{Kinds: []KindRule{{Kind: BusStop, Count: n}}, Scan: DefaultScanSchedule()}, Rect{}, cs, seed)
		if err != nil {
			t.Fatal(err)
		}
		var out []Point
		for _, s := range sn {
			out = append(out, s.Pos)
		}
		return out
	}
	small, large := places(4, cands, 1), places(12, cands, 1)
	if !slices.Equal(small, large[:4]) {
		t.Errorf("4 sniffers at %v are not the first of 12 at %v", small, large)
	}
	rev := slices.Clone(cands)
	slices.Reverse(rev)
	if got := places(12, rev, 1); !slices.Equal(got, large) {
		t.Errorf("reversed candidates give %v, want %v", got, large)
	}
	if got := places(12, cands, 2); slices.Equal(got, large) {
		t.Error("seed 2 draws the same places as seed 1")
	}
}

func TestPlaceErrors(t *testing.T) {
	scan := DefaultScanSchedule()
	for _, tc := range []struct {
		name   string
		policy Policy
		cands  []Candidate
		town   Rect
		want   string
	}{
		{"grid kind", Policy{Kinds: []KindRule{{Kind: Grid, Count: 1}}, Scan: scan}, nil, Rect{}, "kinds[0].kind: grid is not a kind of place"},
		{"bad kind", Policy{Kinds: []KindRule{{Kind: 9, Count: 1}}, Scan: scan}, nil, Rect{}, "kinds[0].kind: invalid place kind 9"},
		{"negative count", Policy{Kinds: []KindRule{{Kind: Market, Count: -1}}, Scan: scan}, nil, Rect{}, "kinds[0].count: want a number of sniffers >= 0"},
		{"share above 1", Policy{Kinds: []KindRule{{Kind: Market, Share: 1.5}}, Scan: scan}, nil, Rect{}, "kinds[0].share: want a share of the places between 0 and 1, got 1.5"},
		{"NaN share", Policy{Kinds: []KindRule{{Kind: Market, Share: math.NaN()}}, Scan: scan}, nil, Rect{}, "kinds[0].share"},
		{"both", Policy{Kinds: []KindRule{{Kind: Market, Count: 1, Share: 0.5}}, Scan: scan}, nil, Rect{}, "kinds[0]: give count or share, not both"},
		{"twice", Policy{Kinds: []KindRule{{Kind: Market, Count: 1}, {Kind: Market, Count: 2}}, Scan: scan}, nil, Rect{}, "kinds[1].kind: market already has a rule (kinds[0])"},
		{"negative spacing", Policy{GridSpacingM: -5, Scan: scan}, nil, Rect{}, "grid_spacing_m: want a spacing in metres >= 0"},
		{"no scan window", Policy{}, nil, Rect{}, "scan.window_s: want 0.1 to 86400 seconds, got 0"},
		{"period below window", Policy{Scan: ScanSchedule{WindowS: 10, PeriodS: 5}}, nil, Rect{}, "scan.period_s: want window_s (10) to 86400 seconds, got 5"},
		{"too many", Policy{Kinds: []KindRule{{Kind: Market, Count: 11}}, Scan: scan}, testCandidates(), Rect{}, "kinds[0].count: 11 sniffers at market places, but the town has only 10"},
		{"grid candidate", Policy{Scan: scan}, []Candidate{{Grid, Point{}}}, Rect{}, "candidates[0].kind: want market, bus_stop, school_gate or venue, got grid"},
		{"NaN position", Policy{Scan: scan}, []Candidate{{Market, Point{math.NaN(), 0}}}, Rect{}, "candidates[0].pos: want a finite position"},
		{"huge grid", Policy{GridSpacingM: 0.001, Scan: scan}, nil, Rect{Max: Point{1000, 1000}}, "more than 1048576"},
		{"inverted town", Policy{GridSpacingM: 10, Scan: scan}, nil, Rect{Min: Point{5, 5}}, "town extent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Place(tc.policy, tc.town, tc.cands, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Place = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestPolicyText: a policy reads from YAML with its kinds by name, and
// writes back to JSON the same way.
func TestPolicyText(t *testing.T) {
	var p Policy
	src := "kinds:\n  - {kind: school_gate, share: 0.5}\n  - {kind: bus_stop, count: 3}\ngrid_spacing_m: 200\nscan: {window_s: 10, period_s: 30}\n"
	if err := yaml.Unmarshal([]byte(src), &p); err != nil {
		t.Fatal(err)
	}
	want := Policy{Kinds: []KindRule{{Kind: SchoolGate, Share: 0.5}, {Kind: BusStop, Count: 3}}, GridSpacingM: 200, Scan: ScanSchedule{10, 30}}
	if !slices.Equal(p.Kinds, want.Kinds) || p.GridSpacingM != want.GridSpacingM || p.Scan != want.Scan {
		t.Fatalf("decoded %+v, want %+v", p, want)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"kind":"school_gate"`) {
		t.Errorf("JSON %s lacks the kind's name", b)
	}
	if err := yaml.Unmarshal([]byte("kinds: [{kind: mall}]"), &p); err == nil || !strings.Contains(err.Error(), `unknown place kind "mall"`) {
		t.Errorf("an unknown kind: %v", err)
	}
	for _, k := range PlaceKinds() {
		if back, err := ParsePlaceKind(k.String()); err != nil || back != k {
			t.Errorf("%v parses back to %v, %v", k, back, err)
		}
	}
	if _, err := PlaceKind(9).MarshalText(); err == nil {
		t.Error("an invalid kind marshals")
	}
}

// TestScanWindows: a sniffer's windows tile its schedule.
func TestScanWindows(t *testing.T) {
	s := ScanSchedule{WindowS: 4, PeriodS: 60}
	ws := s.AppendWindows(nil, 100, 400)
	if len(ws) != 5 || ws[0].Start != 120 || ws[0].End != 124 || ws[4].Start != 360 || ws[0].Index != 2 {
		t.Fatalf("windows %+v", ws)
	}
	if s.WindowMs() != 4000 {
		t.Errorf("WindowMs = %d", s.WindowMs())
	}
	sn := Sniffer{Scan: s}
	sch := s.Radio()
	if ph := sn.Receiver(&sch); ph.Sched != &sch || ph.Calibrated || ph.Offsets.RX != 0 {
		t.Errorf("receiver %+v", ph)
	}
	got := Nearest([]Sniffer{{Pos: Point{0, 0}}, {ID: 1, Pos: Point{10, 0}}, {ID: 2, Pos: Point{10, 0}}}, Point{9, 1})
	if got != 1 {
		t.Errorf("Nearest = %d, want 1 (the lowest of two at the same distance)", got)
	}
	if Nearest(nil, Point{}) != -1 {
		t.Error("Nearest of no sniffers is not -1")
	}
}
