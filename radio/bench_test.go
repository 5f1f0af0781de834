package radio

import (
	"math"
	"testing"
)

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

// BenchmarkScanBluezone is one Bluezone background window (40 s, the
// advertiser on 15 s of every 30 s at 100 ms: about 200 packets) through
// the packet loop.
func BenchmarkScanBluezone(b *testing.B) {
	m := mustModel(b, nil)
	tx := m.NewSchedule(BluezoneAndroid, Hash(1, 1))
	rx := m.NewSchedule(BluezoneAndroid, Hash(1, 2))
	l := Link{DistanceM: 2, Env: Indoor, Tx: Phone{Sched: &tx}, Rx: Phone{Sched: &rx}}
	wins := rx.AppendWindows(nil, 0, 86400, false)
	key := StreamKey{Seed: 1, Pair: PairKey(1, 2)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w := wins[i%len(wins)]
		key.Window, key.Pose = uint64(w.Index), uint64(i)
		m.Scan(l, w, key)
		i++
	}
}

// BenchmarkRecords is the Bluezone 5 s records of one background window.
func BenchmarkRecords(b *testing.B) {
	m := mustModel(b, nil)
	tx := m.NewSchedule(BluezoneAndroid, Hash(1, 1))
	rx := m.NewSchedule(BluezoneAndroid, Hash(1, 2))
	l := Link{DistanceM: 2, Env: Indoor, Tx: Phone{Sched: &tx}, Rx: Phone{Sched: &rx}}
	wins := rx.AppendWindows(nil, 0, 86400, false)
	key := StreamKey{Seed: 1, Pair: PairKey(1, 2)}
	recs := make([]Record, 0, 16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w := wins[i%len(wins)]
		key.Window, key.Pose = uint64(w.Index), uint64(i)
		recs = m.Records(l, w, key, recs[:0])
		i++
	}
}

// BenchmarkAppendWindows is one phone's GAEN windows over an hour.
func BenchmarkAppendWindows(b *testing.B) {
	m := mustModel(b, nil)
	s := m.NewSchedule(GAENSchedule, 3)
	buf := make([]ScanWindow, 0, 32)
	from := 0.0
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendWindows(buf[:0], from, from+3600, false)
		from += 3600
	}
}

// benchRecords runs records (or, with ref, the packet loop it replaced)
// over the windows of a Bluezone Android receiver at distance d.
func benchRecords(b *testing.B, d float64, walls int, foreground, ref bool) {
	m := mustModel(b, nil)
	tx := m.NewSchedule(BluezoneAndroid, Hash(1, 1))
	rx := m.NewSchedule(BluezoneAndroid, Hash(1, 2))
	l := Link{DistanceM: d, Env: Indoor, Walls: walls, Tx: Phone{Sched: &tx}, Rx: Phone{Sched: &rx}}
	wins := rx.AppendWindows(nil, 0, 86400, foreground)
	key := StreamKey{Seed: 1, Pair: PairKey(1, 2)}
	recs := make([]Record, 0, 64)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w := wins[i%len(wins)]
		key.Window, key.Pose = uint64(w.Index), uint64(i)
		if ref {
			recs = recs[:0]
			_, _ = m.scan(&l, w, &key, nil, &recs, math.Inf(-1))
		} else {
			recs = m.Records(l, w, key, recs[:0])
		}
		i++
	}
}

// BenchmarkRecordsVsLoop compares Records with the packet loop it
// replaced (same results, TestRecordsMatchPacketLoop): background windows
// at 2 m, foreground (150 s) windows at 2 m, and background windows at
// 100 m behind five walls, where no packet can clear sensitivity.
func BenchmarkRecordsVsLoop(b *testing.B) {
	for _, c := range []struct {
		name  string
		d     float64
		walls int
		fg    bool
	}{{"bg_2m", 2, 0, false}, {"fg_2m", 2, 0, true}, {"bg_100m_5walls", 100, 5, false}} {
		b.Run(c.name+"/records", func(b *testing.B) { benchRecords(b, c.d, c.walls, c.fg, false) })
		b.Run(c.name+"/packet_loop", func(b *testing.B) { benchRecords(b, c.d, c.walls, c.fg, true) })
	}
}

// BenchmarkStrongest compares Strongest with the path it replaces,
// Records followed by KeepStrongest (the same kept records,
// TestStrongestMatchesRecords), per scan window of a Bluezone receiver
// keeping the strongest record of each minute: Android background (40 s)
// and foreground (150 s) windows and iOS (30 s) windows at 2 m indoors,
// and Android background windows at 20 m behind two walls, where many
// packets fall below sensitivity.
func BenchmarkStrongest(b *testing.B) {
	for _, c := range []struct {
		name  string
		kind  ScheduleKind
		d     float64
		walls int
		fg    bool
	}{
		{"android_bg_2m", BluezoneAndroid, 2, 0, false},
		{"android_fg_2m", BluezoneAndroid, 2, 0, true},
		{"ios_2m", BluezoneIOS, 2, 0, true},
		{"android_bg_20m_2walls", BluezoneAndroid, 20, 2, false},
	} {
		m := mustModel(b, nil)
		tx := m.NewSchedule(c.kind, Hash(1, 1))
		rx := m.NewSchedule(c.kind, Hash(1, 2))
		l := Link{DistanceM: c.d, Env: Indoor, Walls: c.walls, Tx: Phone{Sched: &tx, Foreground: c.fg}, Rx: Phone{Sched: &rx, Foreground: c.fg}}
		wins := rx.AppendWindows(nil, 0, 86400, c.fg)
		for _, path := range []string{"strongest", "records+keep"} {
			b.Run(c.name+"/"+path, func(b *testing.B) {
				key := StreamKey{Seed: 1, Pair: PairKey(1, 2)}
				recs := make([]Record, 0, 64)
				kept := make([]Record, 0, 16)
				b.ReportAllocs()
				i, n := 0, 0
				for b.Loop() {
					w := wins[i%len(wins)]
					key.Window, key.Pose = uint64(w.Index), uint64(i)
					if path == "strongest" {
						kept = m.Strongest(l, w, key, 60, math.Inf(1), kept[:0])
					} else {
						recs = m.Records(l, w, key, recs[:0])
						kept = KeepStrongest(recs, 60, math.Inf(1), kept[:0])
					}
					n += len(kept)
					i++
				}
				b.ReportMetric(float64(n)/float64(b.N), "kept/window")
			})
		}
	}
}

// BenchmarkPrepared compares a PreparedLink with the per-window calls it
// replaces (the same reports and records, TestPreparedEqualsPerWindow)
// over what a simulator does for one link: every window the receiver
// scans in an hour, each with its pose index (60 s epochs) and window
// key, kept per minute (Bluezone's Strongest) or summarised (GAEN's Scan).
// One op is the hour; ns/window divides it by the windows.
func BenchmarkPrepared(b *testing.B) {
	for _, c := range []struct {
		name string
		kind ScheduleKind
		fg   bool
	}{
		{"ios_30s", BluezoneIOS, true},
		{"android_bg_40s", BluezoneAndroid, false},
		{"android_fg_150s", BluezoneAndroid, true},
		{"gaen_4s", GAENSchedule, false},
	} {
		m := mustModel(b, nil)
		tx := m.NewSchedule(c.kind, Hash(1, 1))
		rx := m.NewSchedule(c.kind, Hash(1, 2))
		l := Link{DistanceM: 2, Env: Indoor, Walls: 1, Tx: Phone{Sched: &tx, Foreground: c.fg}, Rx: Phone{Sched: &rx, Foreground: c.fg}}
		wins := rx.AppendWindows(nil, 3600, 7200, c.fg)
		until := math.Inf(1)
		for _, path := range []string{"prepared", "per_window"} {
			b.Run(c.name+"/"+path, func(b *testing.B) {
				kept := make([]Record, 0, 16)
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					if path == "prepared" {
						p := m.Prepare(l, 1, PairKey(1, 2))
						keys := NewWindowKeys(2)
						for _, w := range wins {
							pose, wk := uint64(w.Start/60), keys.Key(w.Index)
							if c.kind == GAENSchedule {
								n += int(p.Scan(w, pose, wk).Received)
							} else {
								kept = p.Strongest(w, pose, wk, 60, until, kept[:0])
								n += len(kept)
							}
						}
						continue
					}
					for _, w := range wins {
						key := StreamKey{Seed: 1, Pair: PairKey(1, 2), Pose: uint64(w.Start / 60), Window: WindowKey(2, w.Index)}
						if c.kind == GAENSchedule {
							n += int(m.Scan(l, w, key).Received)
						} else {
							kept = m.Strongest(l, w, key, 60, until, kept[:0])
							n += len(kept)
						}
					}
				}
				if n == 0 {
					b.Fatal("nothing heard")
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(wins)), "ns/window")
			})
		}
	}
}
