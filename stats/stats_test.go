package stats

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		k, n   int64
		lo, hi float64
	}{
		// Reference values from the closed form (Wilson 1927), also given
		// by R's prop.test(correct = FALSE) and statsmodels
		// proportion_confint(method="wilson").
		{0, 10, 0, 0.2775},
		{5, 10, 0.2366, 0.7634},
		{10, 10, 0.7225, 1},
		{81, 263, 0.2553, 0.3662},
	} {
		lo, hi := Wilson(tc.k, tc.n, 0.95)
		if !(math.Abs(lo-tc.lo) <= 1e-4 && math.Abs(hi-tc.hi) <= 1e-4) { // a NaN fails too
			t.Errorf("Wilson(%d, %d) = %.4f, %.4f; want %.4f, %.4f", tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
	// The bound at 0 (1) is exactly 0 (1), so the estimate is inside.
	if lo, _ := Wilson(0, 7, 0.95); lo != 0 {
		t.Errorf("lower bound at 0 successes %v", lo)
	}
	if _, hi := Wilson(7, 7, 0.95); hi != 1 {
		t.Errorf("upper bound at 7 of 7 %v", hi)
	}
	for _, bad := range [][2]int64{{0, 0}, {3, 2}, {-1, 5}} {
		if lo, hi := Wilson(bad[0], bad[1], 0.95); !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("Wilson(%d, %d) = %v, %v; want NaN", bad[0], bad[1], lo, hi)
		}
	}
}

func clusters(pairs ...[2]int64) []Cluster {
	var cs []Cluster
	for _, p := range pairs {
		cs = append(cs, Cluster{Num: p[0], Den: p[1]})
	}
	return cs
}

func TestClusterRatio(t *testing.T) {
	// One trial per unit and many units: no clustering, so the interval
	// is the Wilson interval, up to the small correction for the number
	// of units (t with n−1 degrees of freedom instead of z).
	var us []Cluster
	for i := range 400 {
		n := int64(0)
		if i < 120 {
			n = 1
		}
		us = append(us, Cluster{Num: n, Den: 1})
	}
	iv := ClusterRatio(us, 0.95)
	lo, hi := Wilson(120, 400, 0.95)
	if iv.Estimate != 0.3 || math.Abs(iv.Lo-lo) > 0.002 || math.Abs(iv.Hi-hi) > 0.002 || iv.Clusters != 400 {
		t.Errorf("independent trials: %+v, want about Wilson [%v, %v]", iv, lo, hi)
	}

	// The same 120 of 400 in 20 units of 20 trials whose outcomes are
	// alike within a unit (each unit all or mostly nothing) are worth far
	// fewer trials: a much wider interval, still inside [0, 1].
	var cl []Cluster
	for i := range 20 {
		n := int64(0)
		if i < 6 {
			n = 20
		}
		cl = append(cl, Cluster{Num: n, Den: 20})
	}
	c := ClusterRatio(cl, 0.95)
	if c.Estimate != 0.3 || !(c.Hi-c.Lo > 3*(hi-lo)) || c.Lo < 0 || c.Hi > 1 || !(c.EffectiveN < 25) {
		t.Errorf("clustered trials: %+v, want far wider than [%v, %v]", c, lo, hi)
	}

	// Units without trials do not count; two units are the least for an
	// interval.
	if iv := ClusterRatio(clusters([2]int64{1, 2}, [2]int64{0, 0}), 0.95); iv.Clusters != 1 || !math.IsNaN(iv.Lo) || iv.Estimate != 0.5 {
		t.Errorf("one unit: %+v", iv)
	}
	if iv := ClusterRatio(nil, 0.95); !math.IsNaN(iv.Estimate) || iv.Trials != 0 {
		t.Errorf("no units: %+v", iv)
	}

	// At 0 the spread says nothing: the interval is that of one trial per
	// unit, starting at 0 exactly.
	z := ClusterRatio(clusters([2]int64{0, 5}, [2]int64{0, 9}, [2]int64{0, 3}, [2]int64{0, 4}), 0.95)
	if z.Lo != 0 || !(z.Hi > 0.3) || z.EffectiveN > 4 {
		t.Errorf("all zero: %+v", z)
	}
}

// TestClusterRatioAlike: clusters whose trials are alike (each its own
// rate) give a wider interval than the same counts spread evenly.
func TestClusterRatioAlike(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var alike, even []Cluster
	for range 40 {
		p := 0.1 + 0.8*rng.Float64()
		den := int64(5 + rng.IntN(10))
		alike = append(alike, Cluster{Num: int64(math.Round(p * float64(den))), Den: den})
	}
	var num, den int64
	for _, c := range alike {
		num += c.Num
		den += c.Den
	}
	for i := range den {
		n := int64(0)
		if i < num {
			n = 1
		}
		even = append(even, Cluster{Num: n, Den: 1})
	}
	a, e := ClusterRatio(alike, 0.95), ClusterRatio(even, 0.95)
	if a.Estimate != e.Estimate || !(a.Hi-a.Lo > 1.5*(e.Hi-e.Lo)) || !(a.EffectiveN < float64(den)/2) {
		t.Errorf("alike %+v, want far wider than independent trials %+v", a, e)
	}
}

func TestReplicateMean(t *testing.T) {
	// Value scale: the plain t interval. s = sqrt(2.5), t(0.975, 4) =
	// 2.776445, half = t*s/sqrt(5).
	m, lo, hi, n := ReplicateMean([]float64{1, 2, 3, 4, 5}, 0.95, ScaleValue)
	half := 2.7764451051977987 * math.Sqrt(2.5) / math.Sqrt(5)
	if m != 3 || n != 5 || math.Abs(lo-(3-half)) > 1e-9 || math.Abs(hi-(3+half)) > 1e-9 {
		t.Fatalf("got %v [%v, %v], want 3 ± %v", m, lo, hi, half)
	}
	for _, tc := range []struct {
		name   string
		xs     []float64
		sc     Scale
		mean   float64
		lo, hi float64 // NaN: want NaN
	}{
		{"one replicate", []float64{7}, ScaleValue, 7, math.NaN(), math.NaN()},
		{"no spread", []float64{2, 2, 2}, ScaleCount, 2, 2, 2},
		{"no spread, not rounded", []float64{0.2, 0.2, 0.2}, ScaleShare, 0.2, 0.2, 0.2},
		{"share all zero", []float64{0, 0}, ScaleShare, 0, 0, 0},
		{"undefined left out", []float64{math.NaN(), 4}, ScaleValue, 4, math.NaN(), math.NaN()},
		{"all undefined", []float64{math.NaN()}, ScaleShare, math.NaN(), math.NaN(), math.NaN()},
	} {
		m, lo, hi, _ := ReplicateMean(tc.xs, 0.95, tc.sc)
		same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
		if !same(m, tc.mean) || !same(lo, tc.lo) || !same(hi, tc.hi) {
			t.Errorf("%s: %v [%v, %v], want %v [%v, %v]", tc.name, m, lo, hi, tc.mean, tc.lo, tc.hi)
		}
	}
	// A share near 0 and a count near 0 keep their bounds in range where
	// the plain t interval would not.
	xs := []float64{0, 0.01, 0.03}
	_, vlo, _, _ := ReplicateMean(xs, 0.95, ScaleValue)
	_, slo, shi, _ := ReplicateMean(xs, 0.95, ScaleShare)
	_, clo, _, _ := ReplicateMean([]float64{0, 1, 3}, 0.95, ScaleCount)
	if !(vlo < 0) || !(slo > 0 && shi < 1) || !(clo > 0) {
		t.Errorf("value low %v (want < 0), share [%v, %v] (want inside (0, 1)), count low %v (want > 0)", vlo, slo, shi, clo)
	}
	if _, err := ParseScale("percent"); err == nil {
		t.Error("unknown scale accepted")
	}
	if sc, err := ParseScale(""); err != nil || sc != ScaleValue {
		t.Errorf("empty scale: %v, %v", sc, err)
	}
}

func TestCalibrate(t *testing.T) {
	runs := [][]Estimate{
		{{"a", 0.5, 0.4, 0.6}, {"b", 1, 0.9, 1.1}},
		{{"a", 0.6, 0.58, 0.62}, {"b", math.NaN(), math.NaN(), math.NaN()}},
		{{"a", 0.4, 0.3, 0.5}, {"c", 2, 1, 3}},
	}
	got := Calibrate(runs, 0.95)
	if len(got) != 3 || got[0].Key != "a" || got[1].Key != "b" || got[2].Key != "c" {
		t.Fatalf("keys %+v", got)
	}
	a := got[0]
	// Mean 0.5: held by runs 1 and 3, not by run 2 ([0.58, 0.62]).
	if a.Runs != 3 || a.Contained != 2 || math.Abs(a.Mean-0.5) > 1e-12 || math.Abs(a.Share-2.0/3) > 1e-12 {
		t.Errorf("a: %+v", a)
	}
	if b := got[1]; b.Runs != 1 || b.Contained != 1 || !math.IsNaN(b.SD) {
		t.Errorf("b (undefined in one run): %+v", b)
	}
	if lo, hi := a.ShareLo, a.ShareHi; !(lo < a.Share && a.Share < hi) {
		t.Errorf("share interval [%v, %v] around %v", lo, hi, a.Share)
	}
}

func TestShortfall(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{MinIndexCases, ""},
		{0, "no index case with close contacts; need 10: raise population.size or days"},
		{1, "only 1 index case with close contacts; need 10"},
		{3, "only 3 index cases with close contacts; need 10"},
	} {
		got := Shortfall(tc.n, "with close contacts", "population.size or days")
		if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("Shortfall(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// BenchmarkClusterRatio measures the interval of a share over 2,000 index
// cases, the size of a large run's arm.
func BenchmarkClusterRatio(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	cs := make([]Cluster, 2000)
	for i := range cs {
		den := int64(1 + rng.IntN(30))
		cs[i] = Cluster{Num: int64(rng.IntN(int(den) + 1)), Den: den}
	}
	b.ReportAllocs()
	for b.Loop() {
		ClusterRatio(cs, 0.95)
	}
}
