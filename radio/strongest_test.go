package radio

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestReported checks the rounding and saturation of reported RSSIs.
func TestReported(t *testing.T) {
	for _, c := range []struct {
		in   float32
		want int8
	}{
		{-72.4, -72}, {-72.5, -73}, {-72.6, -73}, {0.5, 1}, {-0.4, 0}, {126.5, 127},
		{200, 127}, {-126.4, -126}, {-126.5, -127}, {-400, -127},
		{float32(math.Inf(1)), 127}, {float32(math.Inf(-1)), -127}, {float32(math.NaN()), -127},
	} {
		if got := Reported(c.in); got != c.want {
			t.Errorf("Reported(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestReportedMatchesRound runs float32 values through Reported and the
// definition it replaces (math.Round, then saturation at ±127): every
// float32 of magnitude 2⁻³⁰ to 130 (every one, with -short one in 97),
// the values around each half, and the extremes.
func TestReportedMatchesRound(t *testing.T) {
	def := func(v float32) int8 {
		r := math.Round(float64(v))
		switch {
		case r >= 127:
			return 127
		case r <= -127:
			return -127
		case r == r:
			return int8(r)
		}
		return -127
	}
	check := func(v float32) {
		if got, want := Reported(v), def(v); got != want {
			t.Fatalf("Reported(%v) = %d, math.Round gives %d", v, got, want)
		}
	}
	step := uint32(1)
	if testing.Short() {
		step = 97
	}
	lo, hi := math.Float32bits(0x1p-30), math.Float32bits(130)
	for b := lo; b <= hi; b += step {
		check(math.Float32frombits(b))
		check(-math.Float32frombits(b))
	}
	for h := float32(-130.5); h <= 130.5; h++ {
		for _, v := range []float32{h, math.Nextafter32(h, -200), math.Nextafter32(h, 200)} {
			check(v)
		}
	}
	for _, v := range []float32{0, float32(math.Copysign(0, -1)), 0x1p-149, -0x1p-149, 0x1p-31, -0x1p-31,
		math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
		check(v)
	}
}

// TestKeepStrongest checks the reference fold on hand-made records:
// buckets, the first of equal reported RSSIs, records from until on.
func TestKeepStrongest(t *testing.T) {
	recs := []Record{
		{T: 0, RSSI: -80}, {T: 5, RSSI: -70.4}, {T: 10, RSSI: -69.6}, // bucket 0: -70 then -70: first kept
		{T: 59.9, RSSI: -60}, // bucket 0: stronger
		{T: 60, RSSI: -90},   // bucket 1
		{T: 65, RSSI: -91},
		{T: 130, RSSI: -50}, // bucket 2, dropped by until
	}
	for _, c := range []struct {
		name    string
		bucket  float64
		until   float64
		want    []Record
		outHead []Record
	}{
		{"minute", 60, 130, []Record{{T: 59.9, RSSI: -60}, {T: 60, RSSI: -90}}, nil},
		{"minute, all", 60, math.Inf(1), []Record{{T: 59.9, RSSI: -60}, {T: 60, RSSI: -90}, {T: 130, RSSI: -50}}, nil},
		{"first of equals", 60, 59.9, []Record{{T: 5, RSSI: -70.4}}, nil},
		{"until before all", 60, 0, nil, nil},
		{"five seconds", 5, 12, []Record{{T: 0, RSSI: -80}, {T: 5, RSSI: -70.4}, {T: 10, RSSI: -69.6}}, nil},
		{"appends", 3600, 61, []Record{{T: 1, RSSI: 1}, {T: 59.9, RSSI: -60}}, []Record{{T: 1, RSSI: 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := KeepStrongest(recs, c.bucket, c.until, slices.Clone(c.outHead))
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestStrongestMatchesRecords checks that Strongest keeps exactly what
// KeepStrongest keeps of Records, and of the packet loop's records, over
// Bluezone Android and iOS and GAEN schedules, both scan states, every
// scan mode, distances either side of sensitivity, buckets of several
// sizes and ends inside and outside the window.
func TestStrongestMatchesRecords(t *testing.T) {
	for _, mode := range []string{"low_latency", "balanced", "low_power"} {
		m := mustModel(t, func(p *Params) { p.BluezoneScanMode = mode })
		kinds := []ScheduleKind{BluezoneAndroid, BluezoneIOS, GAENSchedule}
		total, kept, dropped := 0, 0, 0
		for i := range uint64(150) {
			tk, rk := kinds[i%3], kinds[(i/3)%3]
			tx := m.NewSchedule(tk, Hash(7, 2*i))
			rx := m.NewSchedule(rk, Hash(7, 2*i+1))
			fg := i%4 == 0
			d := math.Pow(10, float64(i%40)/20) // 1 m to about 90 m
			l := Link{DistanceM: d, Env: Environment(i % 3), Walls: int(i % 5),
				Tx: Phone{Sched: &tx, OS: Android, Foreground: fg, Carriage: Carriage(i % 5)},
				Rx: Phone{Sched: &rx, OS: Android, Foreground: fg}}
			var buf []Record
			for _, w := range rx.AppendWindows(nil, 0, 1200, fg) {
				key := StreamKey{Seed: 4, Pair: PairKey(2*i, 2*i+1), Pose: uint64(w.Start / 60), Window: WindowKey(2*i+1, w.Index)}
				recs := m.Records(l, w, key, nil)
				ref := recordsRef(m, l, w, key, math.Inf(-1))
				for _, bucket := range []float64{60, 7.5, 1, 3600} {
					for _, until := range []float64{math.Inf(1), w.Start + 17.3, (w.Start + w.End) / 2, w.Start, w.End - 0.01} {
						want := KeepStrongest(recs, bucket, until, nil)
						if fromLoop := KeepStrongest(ref, bucket, until, nil); !slices.Equal(want, fromLoop) {
							t.Fatalf("%s link %d window %+v: Records keep %v, packet loop keeps %v", mode, i, w, want, fromLoop)
						}
						buf = m.Strongest(l, w, key, bucket, until, buf[:0])
						if !slices.Equal(buf, want) {
							t.Fatalf("%s link %d window %+v bucket %v until %v: Strongest %v, want %v (records %v)",
								mode, i, w, bucket, until, buf, want, recs)
						}
						total++
						kept += len(want)
						if len(want) < len(recs) {
							dropped++
						}
					}
				}
			}
		}
		if kept == 0 || dropped == 0 {
			t.Fatalf("%s: %d cases kept %d records, %d dropped some: the test misses a case", mode, total, kept, dropped)
		}
	}
}

// TestStrongestAppends checks that Strongest appends after what out holds
// and folds only its own records, and refuses a bucket that is not a
// positive finite length.
func TestStrongestAppends(t *testing.T) {
	m := mustModel(t, nil)
	tx := m.NewSchedule(BluezoneIOS, Hash(1, 1))
	rx := m.NewSchedule(BluezoneIOS, Hash(1, 2))
	l := Link{DistanceM: 1, Env: Indoor, Tx: Phone{Sched: &tx, Foreground: true}, Rx: Phone{Sched: &rx, Foreground: true}}
	w := rx.AppendWindows(nil, 100, 200, true)[0]
	key := StreamKey{Seed: 1, Pair: PairKey(1, 2), Window: 9}
	head := Record{T: w.Start, RSSI: 50} // same bucket, stronger than anything heard
	got := m.Strongest(l, w, key, 60, math.Inf(1), []Record{head})
	want := KeepStrongest(m.Records(l, w, key, nil), 60, math.Inf(1), []Record{head})
	if len(got) < 2 || got[0] != head || !slices.Equal(got, want) {
		t.Fatalf("Strongest after %v: %v, want %v", head, got, want)
	}
	for _, b := range []float64{0, -60, math.NaN(), math.Inf(1)} {
		if got := m.Strongest(l, w, key, b, math.Inf(1), nil); len(got) != 0 {
			t.Errorf("bucket %v: %v, want nothing", b, got)
		}
	}
}

// FuzzStrongest: Strongest equals KeepStrongest over the packet loop's
// records for arbitrary schedules, windows, buckets and ends.
func FuzzStrongest(f *testing.F) {
	f.Add(2.0, uint8(1), 0, uint8(2), 0.1, 0.03, 15.0, 15.0, 3.0, 0.0, 40.0, 60.0, 1e300, uint64(1))
	f.Add(60.0, uint8(0), 3, uint8(0), 0.25, 0.1, 0.0, 0.0, 0.0, 10.0, 14.0, 1.0, 12.0, uint64(2))
	f.Add(5.0, uint8(2), 1, uint8(1), 0.1, 0.0, 0.4, 0.3, 0.7, -5.0, 300.0, 7.0, 100.0, uint64(3))
	f.Add(1.0, uint8(1), 0, uint8(2), 0.27, 0.0, 0.0, 0.0, 0.0, 86000.0, 86030.0, 60.0, 86010.0, uint64(4))
	m := mustModel(f, nil)
	f.Fuzz(func(t *testing.T, d float64, env uint8, walls int, mode uint8,
		iv, phase, on, off, cyc, start, end, bucket, until float64, seed uint64) {
		if iv > 0 && iv < 0.01 {
			return // valid but slow
		}
		tx := Schedule{Kind: BluezoneAndroid, AdvInterval: iv, AdvPhase: phase, AdvOn: on, AdvOff: off, AdvCyclePhase: cyc}
		rx := Schedule{Mode: ScanMode(mode)}
		l := Link{DistanceM: d, Env: Environment(env), Walls: walls, Tx: Phone{Sched: &tx}, Rx: Phone{Sched: &rx}}
		w := ScanWindow{Start: start, End: end}
		if w.End-w.Start > 3600 {
			w.End = w.Start + 3600
		}
		key := StreamKey{Seed: seed, Window: seed >> 3}
		got := m.Strongest(l, w, key, bucket, until, nil)
		var want []Record
		if bucket > 0 && !math.IsInf(bucket, 0) {
			want = KeepStrongest(recordsRef(m, l, w, key, math.Inf(-1)), bucket, until, nil)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Strongest %v, packet loop kept %v", got, want)
		}
	})
}

// TestKeepStrongestInPlace folds records in place (out = recs[:0]), as the
// engine folds a link's records once its windows are done: buckets, the
// first of equal reported RSSIs, and a bucket's records apart (windows
// that overlap) kept apart.
func TestKeepStrongestInPlace(t *testing.T) {
	rec := func(t float64, rssi float32) Record { return Record{T: t, RSSI: rssi} }
	for _, tc := range []struct {
		name string
		in   []Record
		want []Record
	}{
		{"empty", nil, nil},
		{"one", []Record{rec(5, -70)}, []Record{rec(5, -70)}},
		{"two buckets", []Record{rec(5, -70), rec(65, -80)}, []Record{rec(5, -70), rec(65, -80)}},
		{"stronger later", []Record{rec(5, -70), rec(35, -60)}, []Record{rec(35, -60)}},
		{"weaker later", []Record{rec(5, -60), rec(35, -70)}, []Record{rec(5, -60)}},
		// -60.4 and -59.6 both report -60: the first of equals stays.
		{"equal when reported", []Record{rec(5, -60.4), rec(35, -59.6)}, []Record{rec(5, -60.4)}},
		{"bucket edge", []Record{rec(59.9, -80), rec(60, -90), rec(119.9, -70)}, []Record{rec(59.9, -80), rec(119.9, -70)}},
		{"apart", []Record{rec(5, -70), rec(70, -70), rec(10, -60)}, []Record{rec(5, -70), rec(70, -70), rec(10, -60)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			if got := KeepStrongest(in, 60, math.Inf(1), in[:0]); !slices.Equal(got, tc.want) {
				t.Fatalf("KeepStrongest(%v) in place = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestKeepStrongestOfWindows: the strongest record per bucket of a link's
// records cut into back-to-back windows, each window folded by
// KeepStrongest and the windows' kept records folded again in place (the
// engine's way), is KeepStrongest of all the records at once.
func TestKeepStrongestOfWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		var all []Record
		tm := rng.Float64() * 100
		for range rng.IntN(80) {
			tm += 0.1 + rng.ExpFloat64()*6
			all = append(all, Record{T: tm, RSSI: float32(-100 + rng.Float64()*50)})
		}
		bucket := []float64{1, 7, 60, 300}[rng.IntN(4)]
		chunk := []float64{4, 30, 40, 150}[rng.IntN(4)]
		var kept []Record
		for lo := 0; lo < len(all); {
			end := math.Floor(all[lo].T/chunk+1) * chunk
			hi := lo
			for hi < len(all) && all[hi].T < end {
				hi++
			}
			kept = KeepStrongest(all[lo:hi], bucket, math.Inf(1), kept)
			lo = hi
		}
		got := KeepStrongest(kept, bucket, math.Inf(1), kept[:0])
		want := KeepStrongest(all, bucket, math.Inf(1), nil)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d (bucket %g s, windows of %g s): folded %v, want %v", trial, bucket, chunk, got, want)
		}
	}
}
