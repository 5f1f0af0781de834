package radio

import (
	"math"
	"testing"
)

// FuzzScan feeds Scan, ScanInto, Records and Events arbitrary links,
// schedules and windows: none may panic or run away, and the report must
// be consistent (received ≤ events, min ≤ mean ≤ max).
func FuzzScan(f *testing.F) {
	f.Add(2.0, uint8(1), 0, 0, uint8(0), uint8(1), 0.25, 0.1, 0.0, 0.0, 10.0, 14.0, uint64(1))
	f.Add(math.NaN(), uint8(9), -3, 500, uint8(7), uint8(200), 0.0, math.Inf(1), 15.0, 15.0, -1e300, 1e300, uint64(2))
	f.Add(1e9, uint8(2), 1, 1, uint8(4), uint8(2), 0.1, 0.05, 15.0, 15.0, 0.0, 40.0, uint64(3))
	m := mustModel(f, nil)
	buf := make([]float32, 64)
	f.Fuzz(func(t *testing.T, d float64, env uint8, people, walls int, carr, mode uint8,
		iv, phase, on, off, start, end float64, seed uint64) {
		tx := Schedule{Kind: BluezoneAndroid, AdvInterval: iv, AdvPhase: phase, AdvOn: on, AdvOff: off}
		rx := Schedule{Mode: ScanMode(mode)}
		if iv > 0 && iv < 0.01 {
			return // valid but slow: a day of 0.1 ms adverts is 10⁹ packets
		}
		l := Link{DistanceM: d, Env: Environment(env), People: people, Walls: walls,
			Tx: Phone{Carriage: Carriage(carr), Sched: &tx}, Rx: Phone{Carriage: Carriage(carr / 2), Sched: &rx}}
		w := ScanWindow{Start: start, End: end}
		if w.End-w.Start > 3600 {
			w.End = w.Start + 3600
		}
		key := StreamKey{Seed: seed}
		r := m.Scan(l, w, key)
		r2, n := m.ScanInto(l, w, key, buf)
		if !sameReport(r, r2) || n > len(buf) {
			t.Fatalf("Scan %v, ScanInto %v (%d)", r, r2, n)
		}
		if r.Received > r.Events || r.Received < 0 {
			t.Fatalf("received %d of %d", r.Received, r.Events)
		}
		if r.Received > 0 && !(r.MinRSSI <= r.MeanRSSI+1e-3 && r.MeanRSSI <= r.MaxRSSI+1e-3) {
			t.Fatalf("min/mean/max %v %v %v", r.MinRSSI, r.MeanRSSI, r.MaxRSSI)
		}
		if e := m.Events(&tx, &rx, w); e != int(r.Events) {
			t.Fatalf("Events %d, report %d", e, r.Events)
		}
		_ = m.Records(l, w, key, nil)
	})
}
