package radio

import (
	"math"
	"testing"
)

func mustModel(tb testing.TB, mod func(*Params)) *Model {
	tb.Helper()
	p := DefaultParams()
	if mod != nil {
		mod(&p)
	}
	m, err := NewModel(p)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestFadingSD checks the Rician dB spread against radio.md §1.4's Monte
// Carlo table (K=0 5.6, 3 4.4, 5 3.7, 7 2.9, 10 2.0 dB) and that sampling
// the table reproduces the analytic moments.
func TestFadingSD(t *testing.T) {
	for _, tc := range []struct{ k, sd float64 }{{-40, 5.6}, {3, 4.4}, {5, 3.7}, {7, 2.9}, {10, 2.0}} {
		ft := newFadeTable(tc.k)
		if math.Abs(ft.sd-tc.sd) > 0.1 {
			t.Errorf("K=%v dB: analytic SD %.3f, radio.md says %.1f", tc.k, ft.sd, tc.sd)
		}
		s := stream(Hash(uint64(tc.k + 100)))
		var sum, sum2 float64
		const n = 200000
		for j := range uint64(n) {
			v := ft.sample(s.at(j))
			sum += v
			sum2 += v * v
		}
		mean := sum / n
		sd := math.Sqrt(sum2/n - mean*mean)
		if math.Abs(mean) > 0.05 || math.Abs(sd-ft.sd) > 0.05 {
			t.Errorf("K=%v dB: sampled mean %.3f SD %.3f, want 0 and %.3f", tc.k, mean, sd, ft.sd)
		}
	}
}

func TestNormal(t *testing.T) {
	s := stream(Hash(7))
	var sum, sum2 float64
	tail := 0
	const n = 400000
	for j := range uint64(n) {
		v := normal(s.at(j))
		sum += v
		sum2 += v * v
		if v > 3.5 {
			tail++
		}
	}
	mean, sd := sum/n, math.Sqrt(sum2/n-(sum/n)*(sum/n))
	if math.Abs(mean) > 0.01 || math.Abs(sd-1) > 0.01 {
		t.Fatalf("mean %.4f SD %.4f", mean, sd)
	}
	// P(Z > 3.5) = 2.33e-4: about 93 of 400000.
	if tail < 50 || tail > 140 {
		t.Fatalf("%d draws above 3.5, want about 93", tail)
	}
}

func TestNormal32(t *testing.T) {
	s := stream(Hash(8))
	var sum, sum2 float64
	const n = 400000
	for j := range uint64(n / 2) {
		x := s.at(j)
		for _, v := range []float64{normal32(uint32(x >> 32)), normal32(uint32(x))} {
			sum += v
			sum2 += v * v
		}
	}
	mean, sd := sum/n, math.Sqrt(sum2/n-(sum/n)*(sum/n))
	if math.Abs(mean) > 0.01 || math.Abs(sd-1) > 0.01 {
		t.Fatalf("mean %.4f SD %.4f", mean, sd)
	}
}
