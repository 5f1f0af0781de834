package radio

import (
	"math"
	"testing"
)

// checkFadeTable reports any entry of ft that is not finite, any cell out
// of order, and any deep fade (cell 0) above the table's first cell.
func checkFadeTable(t *testing.T, kdB float64, ft *fadeTable) {
	t.Helper()
	for i := 1; i < tableSize; i++ {
		if !finite(ft.mid[i]) {
			t.Fatalf("K=%v dB: mid[%d] = %v", kdB, i, ft.mid[i])
		}
		if i > 1 && ft.mid[i] < ft.mid[i-1] {
			t.Fatalf("K=%v dB: mid[%d] = %v < mid[%d] = %v", kdB, i, ft.mid[i], i-1, ft.mid[i-1])
		}
	}
	for j := 1; j <= tableSize; j++ {
		if !finite(ft.deep[j]) {
			t.Fatalf("K=%v dB: deep[%d] = %v", kdB, j, ft.deep[j])
		}
	}
	prev := math.Inf(-1)
	for _, u := range []float64{0x1p-54, 1e-12, 1e-6, 0.5 / tableSize, 1.0 / tableSize, 0.01, 0.25, 0.5, 0.75, 0.999, 1 - 0x1p-53} {
		v := ft.tail(u)
		if !finite(v) || v > ft.mid[1] || v < prev {
			t.Fatalf("K=%v dB: tail(%v) = %v (mid[1] %v, previous %v)", kdB, u, v, ft.mid[1], prev)
		}
		prev = v
	}
}

// TestFadeTableHighK checks that the fading table is finite and ordered
// for every K from 0 to 30 dB (the simulator saw +Inf powers at K ≥ 14 dB
// when cell 0 came from the linear foot alone), that its dB-domain SD
// matches radio.md §1.4's Monte Carlo table (K=0 i.e. Rayleigh 5.6, 3 4.4,
// 5 3.7, 7 2.9, 10 2.0 dB), and that the SD falls towards 0 as K grows.
func TestFadeTableHighK(t *testing.T) {
	want := map[float64]float64{3: 4.4, 5: 3.7, 7: 2.9, 10: 2.0}
	// radio.md's "K=0 (Rayleigh)" is K = 0 linear, i.e. −∞ dB.
	ray := newFadeTable(-40)
	checkFadeTable(t, -40, ray)
	if math.Abs(ray.sd-5.6) > 0.1 {
		t.Errorf("Rayleigh: SD %.3f, radio.md says 5.6", ray.sd)
	}
	prevSD := ray.sd
	for kdB := 0.0; kdB <= 30; kdB += 0.5 {
		ft := newFadeTable(kdB)
		checkFadeTable(t, kdB, ft)
		if sd, ok := want[kdB]; ok && math.Abs(ft.sd-sd) > 0.1 {
			t.Errorf("K=%v dB: SD %.3f, radio.md says %.1f", kdB, ft.sd, sd)
		}
		if !(ft.sd < prevSD) {
			t.Errorf("K=%v dB: SD %.3f does not fall (previous %.3f)", kdB, ft.sd, prevSD)
		}
		prevSD = ft.sd
		// Sampling, cell 0 included, reproduces the table's moments.
		s := stream(Hash(uint64(kdB*2), 0x6b))
		var sum, sum2 float64
		const n = 20000
		for j := range uint64(n) {
			v := ft.sample(s.at(j))
			sum += v
			sum2 += v * v
		}
		mean := sum / n
		sd := math.Sqrt(sum2/n - mean*mean)
		if math.Abs(mean) > 0.1 || math.Abs(sd-ft.sd) > 0.1 {
			t.Errorf("K=%v dB: sampled mean %.3f SD %.3f, want 0 and %.3f", kdB, mean, sd, ft.sd)
		}
	}
	if prevSD > 0.25 {
		t.Errorf("K=30 dB: SD %.3f, want it near 0", prevSD)
	}
}

// TestScanHighKFinite is the simulator's symptom: every report of a link
// with a large K is finite, deep fades included.
func TestScanHighKFinite(t *testing.T) {
	for _, kdB := range []float64{14, 20, 28.7, 30, 40} {
		m := mustModel(t, func(p *Params) { p.RicianKOutdoorDB = kdB })
		l := Link{DistanceM: 3, Env: Outdoor}
		buf := make([]float32, 64)
		for w := range 3000 {
			key := StreamKey{Seed: 5, Pair: 9, Window: uint64(w)}
			win := ScanWindow{Start: float64(w) * 300, End: float64(w)*300 + 4}
			r, nb := m.ScanInto(l, win, key, buf)
			if !finite(float64(r.MaxRSSI)) || !finite(float64(r.MinRSSI)) || r.MaxRSSI > -40 {
				t.Fatalf("K=%v dB window %d: %v", kdB, w, r)
			}
			for _, v := range buf[:nb] {
				if !finite(float64(v)) || v > -40 {
					t.Fatalf("K=%v dB window %d: packet RSSI %v", kdB, w, v)
				}
			}
		}
	}
}

// FuzzFadeTable: for every K that Validate accepts, every draw of the
// table is finite and no deep fade lies above the first cell.
func FuzzFadeTable(f *testing.F) {
	for _, k := range []float64{-30, 0, 5, 10, 14, 28.7, 30, 40} {
		f.Add(k, uint64(0))
		f.Add(k, uint64(1)<<(64-tableBits)-1)
	}
	f.Fuzz(func(t *testing.T, kdB float64, x uint64) {
		if !(kdB >= -30 && kdB <= 40) {
			return
		}
		ft := newFadeTable(kdB)
		v := ft.sample(x)
		if !finite(v) || (x>>(64-tableBits) == 0 && v > ft.mid[1]) {
			t.Fatalf("K=%v dB: sample(%#x) = %v (mid[1] %v)", kdB, x, v, ft.mid[1])
		}
	})
}
