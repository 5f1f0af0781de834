package radio

import "testing"

// BenchmarkScanSample is one (pair, scan window) sample in the common
// case: two GAEN phones, a 4 s window (about 16 advertising events),
// indoor at 2 m, everything above sensitivity.
func BenchmarkScanSample(b *testing.B) {
	m := mustModel(b, nil)
	tx := m.NewSchedule(GAENSchedule, Hash(1, 1))
	rx := m.NewSchedule(GAENSchedule, Hash(1, 2))
	l := Link{DistanceM: 2, Env: Indoor,
		Tx: Phone{Sched: &tx, Calibrated: true, Offsets: m.ModelOffsets(1, 10)},
		Rx: Phone{Sched: &rx, Calibrated: true, Offsets: m.ModelOffsets(1, 11), Carriage: FrontPocket}}
	wins := rx.AppendWindows(nil, 0, 86400, false)
	key := StreamKey{Seed: 1, Pair: PairKey(1, 2)}
	b.ReportAllocs()
	i := 0
	var got int32
	for b.Loop() {
		w := wins[i%len(wins)]
		key.Window = uint64(w.Index)
		key.Pose = uint64(i)
		got += m.Scan(l, w, key).Received
		i++
	}
	if got == 0 {
		b.Fatal("nothing received")
	}
}
