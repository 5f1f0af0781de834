package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bruteAUC compares every positive with every negative.
func bruteAUC(ps []Scored) float64 {
	var s, n float64
	for _, a := range ps {
		if !a.Positive {
			continue
		}
		for _, b := range ps {
			if b.Positive {
				continue
			}
			n++
			switch {
			case a.Score > b.Score:
				s++
			case a.Score == b.Score:
				s += 0.5
			}
		}
	}
	return s / n
}

func TestAUC(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs []Scored
		want  float64
	}{
		{"separated", []Scored{{0, 1, false}, {0, 2, false}, {1, 3, true}, {1, 4, true}}, 1},
		{"reversed", []Scored{{0, 3, false}, {0, 4, false}, {1, 1, true}, {1, 2, true}}, 0},
		{"all tied", []Scored{{0, 0, false}, {0, 0, true}, {1, 0, true}}, 0.5},
		{"one inversion", []Scored{{0, 1, false}, {0, 3, false}, {1, 2, true}, {1, 4, true}}, 0.75},
		{"no negatives", []Scored{{0, 1, true}}, math.NaN()},
	} {
		got := AUC(tc.pairs)
		if !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("%s: AUC %v, want %v", tc.name, got, tc.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		var ps []Scored
		for i := range 200 {
			pos := r.Float64() < 0.3
			s := float64(r.IntN(12)) // many ties
			if pos {
				s += float64(r.IntN(4))
			}
			ps = append(ps, Scored{Cluster: int32(i / 7), Score: s, Positive: pos})
		}
		if got, want := AUC(ps), bruteAUC(ps); math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: AUC %v, pairwise %v", trial, got, want)
		}
		// The area under the sweep's points (trapezoids) is the AUC.
		pts := ROC(ps)
		var area float64
		for i := 1; i < len(pts); i++ {
			area += (pts[i].FPR - pts[i-1].FPR) * (pts[i].TPR + pts[i-1].TPR) / 2
		}
		if last := pts[len(pts)-1]; math.Abs(area-AUC(ps)) > 1e-12 || last.TPR != 1 || last.FPR != 1 || pts[0].TP != 0 {
			t.Fatalf("trial %d: curve area %v, AUC %v, ends at %+v", trial, area, AUC(ps), last)
		}
		for i := 1; i < len(pts); i++ {
			if pts[i].Threshold >= pts[i-1].Threshold || pts[i].TP < pts[i-1].TP || pts[i].FP < pts[i-1].FP {
				t.Fatalf("trial %d: curve not monotone at %d: %+v after %+v", trial, i, pts[i], pts[i-1])
			}
		}
	}
}

func TestAUCInterval(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	mk := func(clusters int) []Scored {
		var ps []Scored
		for c := range clusters {
			shift := r.NormFloat64() // what the index case's phone and pocket do to all its pairs
			for range 6 {
				pos := r.Float64() < 0.4
				s := shift + r.NormFloat64()
				if pos {
					s += 1
				}
				ps = append(ps, Scored{Cluster: int32(c), Score: s, Positive: pos})
			}
		}
		return ps
	}
	small, big := mk(20), mk(400)
	est, lo, hi := AUCInterval(small, 500, 0.95, 7)
	if !(lo < est && est < hi) || est != AUC(small) {
		t.Fatalf("small: %v in [%v, %v], AUC %v", est, lo, hi, AUC(small))
	}
	_, blo, bhi := AUCInterval(big, 500, 0.95, 7)
	if !(bhi-blo < (hi-lo)/2) {
		t.Errorf("20 index cases give [%.3f, %.3f], 400 give [%.3f, %.3f]: want about 4.5 times narrower", lo, hi, blo, bhi)
	}
	// The same pairs in another order, the same seed: the same interval.
	rev := make([]Scored, len(small))
	for i, p := range small {
		rev[len(small)-1-i] = p
	}
	if e2, l2, h2 := AUCInterval(rev, 500, 0.95, 7); e2 != est || l2 != lo || h2 != hi {
		t.Errorf("reordered: %v [%v, %v], was %v [%v, %v]", e2, l2, h2, est, lo, hi)
	}
	if _, l3, _ := AUCInterval(small, 500, 0.95, 8); l3 == lo {
		t.Errorf("another seed gives the same bound %v", lo)
	}
	one := []Scored{{0, 1, true}, {0, 0, false}}
	if e, l, h := AUCInterval(one, 100, 0.95, 1); e != 1 || !math.IsNaN(l) || !math.IsNaN(h) {
		t.Errorf("one index case: %v [%v, %v], want 1 with no interval", e, l, h)
	}
}

func BenchmarkAUCInterval(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	ps := make([]Scored, 30000)
	for i := range ps {
		pos := r.Float64() < 0.2
		ps[i] = Scored{Cluster: int32(i / 25), Score: float64(r.IntN(60)), Positive: pos}
	}
	for b.Loop() {
		AUCInterval(ps, 1000, 0.95, 1)
	}
}
