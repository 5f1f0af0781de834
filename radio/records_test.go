package radio

import (
	"math"
	"slices"
	"testing"
)

// recordsRef is the packet loop's records (scan walking every packet),
// the reference records must match exactly.
func recordsRef(m *Model, l Link, w ScanWindow, key StreamKey, last float64) []Record {
	var out []Record
	_, _ = m.scan(&l, w, &key, nil, &out, last)
	return out
}

// TestRecordsMatchPacketLoop checks that Records and RecordsAfter give
// exactly the records of the packet loop over Bluezone Android and iOS
// schedules, both scan states, every scan mode, distances either side of
// sensitivity and previous-record times inside and outside the window.
func TestRecordsMatchPacketLoop(t *testing.T) {
	for _, mode := range []string{"low_latency", "balanced", "low_power"} {
		m := mustModel(t, func(p *Params) { p.BluezoneScanMode = mode })
		kinds := []ScheduleKind{BluezoneAndroid, BluezoneIOS, GAENSchedule}
		total, nonEmpty := 0, 0
		for i := range uint64(150) {
			tk, rk := kinds[i%3], kinds[(i/3)%3]
			tx := m.NewSchedule(tk, Hash(6, 2*i))
			rx := m.NewSchedule(rk, Hash(6, 2*i+1))
			fg := i%4 == 0
			// 1 m to about 90 m, so that some links sit at sensitivity.
			d := math.Pow(10, float64(i%40)/20)
			l := Link{DistanceM: d, Env: Environment(i % 3), Walls: int(i % 5),
				Tx: Phone{Sched: &tx, OS: Android, Foreground: fg, Carriage: Carriage(i % 5)},
				Rx: Phone{Sched: &rx, OS: Android, Foreground: fg}}
			for _, w := range rx.AppendWindows(nil, 0, 1200, fg) {
				key := StreamKey{Seed: 3, Pair: PairKey(2*i, 2*i+1), Pose: uint64(w.Start / 60), Window: WindowKey(2*i+1, w.Index)}
				got := m.Records(l, w, key, nil)
				want := recordsRef(m, l, w, key, math.Inf(-1))
				if !slices.Equal(got, want) {
					t.Fatalf("%s link %d window %+v: Records %v, packet loop %v", mode, i, w, got, want)
				}
				total++
				if len(got) > 0 {
					nonEmpty++
				}
				for _, last := range []float64{w.Start - 7, w.Start - 2.5, w.Start + 0.05, (w.Start + w.End) / 2, w.End, math.Inf(1), math.NaN()} {
					got := m.RecordsAfter(l, w, key, last, nil)
					want := recordsRef(m, l, w, key, last)
					if !slices.Equal(got, want) {
						t.Fatalf("%s link %d window %+v last %v: RecordsAfter %v, packet loop %v", mode, i, w, last, got, want)
					}
				}
			}
		}
		if nonEmpty == 0 || nonEmpty == total {
			t.Fatalf("%s: %d of %d windows have records: the test misses a case", mode, nonEmpty, total)
		}
	}
}

// TestRecordsSensitivityBound checks the bound records uses to skip a
// window: no fading value, deep fades included, exceeds the table's last
// cell, for the default and ideal tables and large K.
func TestRecordsSensitivityBound(t *testing.T) {
	for _, ft := range []*fadeTable{newFadeTable(5), newFadeTable(0), newFadeTable(-40), newFadeTable(14), newFadeTable(40), newIdealFadeTable()} {
		s := stream(Hash(12))
		for j := range uint64(1 << 16) {
			// Force cell 0 half the time.
			x := s.at(j)
			if j%2 == 0 {
				x &^= cellMask << (64 - tableBits)
			}
			if v := ft.sample(x); v > ft.mid[cellMask] {
				t.Fatalf("sample %v above the last cell %v", v, ft.mid[cellMask])
			}
		}
	}
}

// FuzzRecords: Records equals the packet loop for arbitrary schedules,
// windows and previous-record times.
func FuzzRecords(f *testing.F) {
	f.Add(2.0, uint8(1), 0, uint8(2), 0.1, 0.03, 15.0, 15.0, 3.0, 0.0, 40.0, -1e300, uint64(1))
	f.Add(60.0, uint8(0), 3, uint8(0), 0.25, 0.1, 0.0, 0.0, 0.0, 10.0, 14.0, 12.0, uint64(2))
	f.Add(5.0, uint8(2), 1, uint8(1), 0.1, 0.0, 0.4, 0.3, 0.7, -5.0, 300.0, 2.0, uint64(3))
	m := mustModel(f, nil)
	f.Fuzz(func(t *testing.T, d float64, env uint8, walls int, mode uint8,
		iv, phase, on, off, cyc, start, end, last float64, seed uint64) {
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
		got := m.RecordsAfter(l, w, key, last, nil)
		want := recordsRef(m, l, w, key, last)
		if !slices.Equal(got, want) {
			t.Fatalf("RecordsAfter %v, packet loop %v", got, want)
		}
	})
}
