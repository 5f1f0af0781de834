package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/bluesim/bluesim/radio"
)

func TestFoldStrongest(t *testing.T) {
	rec := func(t float64, rssi float32) radio.Record { return radio.Record{T: t, RSSI: rssi} }
	for _, tc := range []struct {
		name string
		in   []radio.Record
		want []radio.Record
	}{
		{"empty", nil, nil},
		{"one", []radio.Record{rec(5, -70)}, []radio.Record{rec(5, -70)}},
		{"two buckets", []radio.Record{rec(5, -70), rec(65, -80)}, []radio.Record{rec(5, -70), rec(65, -80)}},
		{"stronger later", []radio.Record{rec(5, -70), rec(35, -60)}, []radio.Record{rec(35, -60)}},
		{"weaker later", []radio.Record{rec(5, -60), rec(35, -70)}, []radio.Record{rec(5, -60)}},
		// Compared as the app reports them (whole dBm): -60.4 and -59.6
		// both report -60, and the first of equals stays.
		{"equal when reported", []radio.Record{rec(5, -60.4), rec(35, -59.6)}, []radio.Record{rec(5, -60.4)}},
		{"bucket edge", []radio.Record{rec(59.9, -80), rec(60, -90), rec(119.9, -70)}, []radio.Record{rec(59.9, -80), rec(119.9, -70)}},
		// A bucket's records apart (overlapping windows) are both kept.
		{"apart", []radio.Record{rec(5, -70), rec(70, -70), rec(10, -60)}, []radio.Record{rec(5, -70), rec(70, -70), rec(10, -60)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := foldStrongest(slices.Clone(tc.in), 60)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("foldStrongest(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestFoldStrongestOfWindows checks the fold against the reference: the
// strongest record per bucket of a link's records cut into back-to-back
// windows, each window folded by radio.KeepStrongest and the windows'
// kept records folded by foldStrongest, is radio.KeepStrongest of all the
// records at once.
func TestFoldStrongestOfWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		var all []radio.Record
		tm := rng.Float64() * 100
		for range rng.IntN(80) {
			tm += 0.1 + rng.ExpFloat64()*6
			all = append(all, radio.Record{T: tm, RSSI: float32(-100 + rng.Float64()*50)})
		}
		bucket := []float64{1, 7, 60, 300}[rng.IntN(4)]
		chunk := []float64{4, 30, 40, 150}[rng.IntN(4)]
		var kept []radio.Record
		for lo := 0; lo < len(all); {
			end := math.Floor(all[lo].T/chunk+1) * chunk
			hi := lo
			for hi < len(all) && all[hi].T < end {
				hi++
			}
			kept = radio.KeepStrongest(all[lo:hi], bucket, math.Inf(1), kept)
			lo = hi
		}
		got := foldStrongest(kept, bucket)
		want := radio.KeepStrongest(all, bucket, math.Inf(1), nil)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d (bucket %g s, windows of %g s): folded %v, want %v", trial, bucket, chunk, got, want)
		}
	}
}
