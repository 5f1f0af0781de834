package radio

import (
	"fmt"
	"math"
	"testing"
)

// identicalReports reports whether a and b are the same bits, NaNs
// included.
func identicalReports(a, b ScanReport) bool {
	f := math.Float32bits
	return a.Events == b.Events && a.Received == b.Received && a.Calibrated == b.Calibrated &&
		f(a.MinRSSI) == f(b.MinRSSI) && f(a.MaxRSSI) == f(b.MaxRSSI) && f(a.MeanRSSI) == f(b.MeanRSSI) &&
		f(a.MinAttenDB) == f(b.MinAttenDB) && f(a.TypicalAttenDB) == f(b.TypicalAttenDB)
}

// identicalRecords reports whether a and b are the same records, bit for
// bit.
func identicalRecords(a, b []Record) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i].T) != math.Float64bits(b[i].T) || math.Float32bits(a[i].RSSI) != math.Float32bits(b[i].RSSI) {
			return false
		}
	}
	return true
}

// preparedCheck runs window w with pose index pose and window key window
// through the per-window calls and through p, and returns what differs
// ("" when nothing does), with how many records and packets the window
// kept and received.
func preparedCheck(m *Model, l Link, p *PreparedLink, seed, pair uint64, w ScanWindow, pose, window uint64, bucketS, until float64) (string, int, int) {
	key := StreamKey{Seed: seed, Pair: pair, Pose: pose, Window: window}
	want := m.Scan(l, w, key)
	if got := p.Scan(w, pose, window); !identicalReports(got, want) {
		return fmt.Sprintf("Scan: prepared %+v, per-window %+v", got, want), 0, 0
	}
	head := []Record{{T: -1, RSSI: -1}} // appends after what out holds
	wantRecs := m.Strongest(l, w, key, bucketS, until, head[:1:1])
	gotRecs := p.Strongest(w, pose, window, bucketS, until, head[:1:1])
	if !identicalRecords(gotRecs, wantRecs) {
		return fmt.Sprintf("Strongest: prepared %v, per-window %v", gotRecs, wantRecs), 0, 0
	}
	if p.Silent() != m.Silent(&l) {
		return fmt.Sprintf("Silent: prepared %v, per-window %v", p.Silent(), m.Silent(&l)), 0, 0
	}
	return "", len(wantRecs) - 1, int(want.Received)
}

// TestPreparedEqualsPerWindow checks PreparedLink's Scan and Strongest
// against Model's per-window calls, bit for bit, over every schedule kind
// pair (and phones without a schedule, and an advertiser whose schedule
// is invalid), both scan states, the iOS background rule's probability at
// 0, ½ and 1, every Android scan mode, the ideal radio, distances either
// side of sensitivity, every environment and calibration, buckets of
// several sizes and ends inside the windows. Each link scans an hour of
// its receiver's windows in order (consecutive windows share a pose
// epoch, so the pose cache is hit and missed), then the same windows in
// reverse with poses that jump back and forth.
func TestPreparedEqualsPerWindow(t *testing.T) {
	models := []struct {
		name string
		mod  func(*Params)
	}{
		{"default", nil},
		{"ios_prob_half", func(p *Params) { p.IOSBgBgDetectProb = 0.5 }},
		{"ios_prob_one", func(p *Params) { p.IOSBgBgDetectProb = 1 }},
		{"balanced", func(p *Params) { p.BluezoneScanMode = "balanced" }},
		{"low_power", func(p *Params) { p.BluezoneScanMode = "low_power" }},
		{"ideal", func(p *Params) { p.Ideal = true }},
	}
	kinds := []ScheduleKind{GAENSchedule, BluezoneAndroid, BluezoneIOS}
	for _, mc := range models {
		t.Run(mc.name, func(t *testing.T) {
			m := mustModel(t, mc.mod)
			kept, received, windows := 0, 0, 0
			for i := range uint64(60) {
				tk, rk := kinds[i%3], kinds[(i/3)%3]
				tx := m.NewSchedule(tk, Hash(9, 2*i))
				rx := m.NewSchedule(rk, Hash(9, 2*i+1))
				txp, rxp := &tx, &rx
				switch i % 10 {
				case 7:
					txp, rxp = nil, nil // the model's default schedule
				case 8:
					bad := tx
					bad.AdvInterval = 0 // advertises nothing
					txp = &bad
				}
				fg := i%4 == 1
				d := math.Pow(10, float64(i%30)/15) // 1 m to about 90 m
				l := Link{DistanceM: d, Env: Environment(i % 3), Walls: int(i % 4), People: int(i % 3),
					Tx: Phone{Sched: txp, OS: IOS, Foreground: fg && i%8 != 1, Carriage: Carriage(i % 6), Calibrated: i%5 != 0,
						Offsets: m.ModelOffsets(i, 1)},
					Rx: Phone{Sched: rxp, OS: IOS, Foreground: fg, Carriage: Carriage((i / 6) % 6), Calibrated: i%7 != 0,
						Offsets: m.ModelOffsets(i, 2)}}
				seed, pair := uint64(5), PairKey(2*i, 2*i+1)
				p := m.Prepare(l, seed, pair)
				bucketS := []float64{60, 5, 300, 0.7}[i%4]
				from := 3600 * float64(i%24)
				until := from + 3600 - float64(i%5)*400
				wins := rx.AppendWindows(nil, from, from+3600, fg)
				keys := NewWindowKeys(2*i + 1)
				for _, w := range wins {
					pose := uint64(w.Start / 60)
					diff, k, r := preparedCheck(m, l, &p, seed, pair, w, pose, keys.Key(w.Index), bucketS, until)
					if diff != "" {
						t.Fatalf("link %d (%v to %v, %.1f m, %v), window %+v: %s", i, tk, rk, d, l.Env, w, diff)
					}
					kept, received, windows = kept+k, received+r, windows+1
				}
				for j := len(wins) - 1; j >= 0; j-- {
					w := wins[j]
					pose := uint64(j % 3)
					if diff, _, _ := preparedCheck(m, l, &p, seed, pair, w, pose, keys.Key(w.Index), bucketS, until); diff != "" {
						t.Fatalf("link %d backwards, window %+v, pose %d: %s", i, w, pose, diff)
					}
				}
			}
			t.Logf("%d windows: %d records kept, %d packets received", windows, kept, received)
			if kept == 0 || received == 0 {
				t.Fatal("no window heard anything: the comparison proves nothing")
			}
		})
	}
}

// TestPreparedZeroValue checks that the zero PreparedLink hears nothing
// and does not panic.
func TestPreparedZeroValue(t *testing.T) {
	var p PreparedLink
	w := ScanWindow{Start: 0, End: 30}
	if r := p.Scan(w, 0, 0); r != (ScanReport{}) {
		t.Errorf("Scan = %+v, want nothing", r)
	}
	if got := p.Strongest(w, 0, 0, 60, 100, nil); len(got) != 0 {
		t.Errorf("Strongest = %v, want nothing", got)
	}
	if p.Silent() {
		t.Error("the zero value is silent")
	}
}

// TestWindowKeys checks WindowKeys.Key against WindowKey.
func TestWindowKeys(t *testing.T) {
	for _, c := range []struct {
		scanner uint64
		window  int64
	}{
		{0, 0}, {1, 1}, {math.MaxUint64, -1}, {12345, fgIndexBit | 7}, {1 << 63, math.MinInt64}, {42, math.MaxInt64},
	} {
		if got, want := NewWindowKeys(c.scanner).Key(c.window), WindowKey(c.scanner, c.window); got != want {
			t.Errorf("WindowKeys(%d).Key(%d) = %#x, WindowKey %#x", c.scanner, c.window, got, want)
		}
	}
}

// fuzzModels are the models FuzzPreparedEqualsPerWindow picks from: built
// once, as a fuzz target runs many inputs.
func fuzzModels(tb testing.TB) []*Model {
	return []*Model{
		mustModel(tb, nil),
		mustModel(tb, func(p *Params) { p.IOSBgBgDetectProb = 0.5 }),
		mustModel(tb, func(p *Params) { p.BluezoneScanMode = "balanced" }),
		mustModel(tb, func(p *Params) { p.BluezoneScanMode = "low_power"; p.RicianKIndoorDB = 20 }),
		mustModel(tb, func(p *Params) { p.Ideal = true }),
	}
}

// FuzzPreparedEqualsPerWindow feeds PreparedLink and the per-window calls
// arbitrary links (every schedule kind, no schedule, hand-made schedules),
// windows, pose indices, window keys, buckets and ends: both must give the
// same reports and records, bit for bit, window after window, with the
// pose cache hit and missed.
func FuzzPreparedEqualsPerWindow(f *testing.F) {
	f.Add(uint8(0), uint8(1), uint8(2), uint8(3), 2.0, 1, 0, uint8(9), 100.0, 40.0, uint64(7), uint64(7), uint64(8), 60.0, 1e9, uint64(1), uint64(2), 0.1, 0.05, 15.0, 15.0)
	f.Add(uint8(1), uint8(2), uint8(2), uint8(0), 0.5, 0, 0, uint8(0), 10.0, 30.0, uint64(1), uint64(2), uint64(1), 60.0, 25.0, uint64(3), uint64(4), 0.0, 0.0, 0.0, 0.0)
	f.Add(uint8(2), uint8(0), uint8(1), uint8(5), 30.0, 2, 3, uint8(7), -500.0, 150.0, uint64(0), uint64(1), uint64(0), 5.0, 0.0, uint64(5), uint64(6), 0.0, 0.0, 0.0, 0.0)
	f.Add(uint8(4), uint8(3), uint8(4), uint8(1), math.NaN(), -3, 500, uint8(200), 1e300, math.Inf(1), uint64(9), uint64(9), uint64(9), math.NaN(), math.Inf(1), uint64(7), uint64(8), 0.25, 0.1, 15.0, 15.0)
	f.Add(uint8(3), uint8(4), uint8(3), uint8(2), 1.0, 0, 1, uint8(255), 0.0, 4.0, uint64(3), uint64(4), uint64(3), 0.5, 3.0, uint64(11), uint64(12), 0.2, 0.3, -1.0, 0.0)
	models := fuzzModels(f)
	f.Fuzz(func(t *testing.T, msel, txSel, rxSel, flags uint8, d float64, people, walls int, carr uint8,
		start, length float64, poseA, poseB, poseC uint64, bucketS, untilOff float64, seed, pair uint64,
		iv, phase, on, off float64) {
		m := models[int(msel)%len(models)]
		sched := func(sel uint8, key uint64) *Schedule {
			switch sel % 5 {
			case 3:
				return nil
			case 4:
				if iv > 0 && iv < 0.01 {
					iv = 0.01 // valid but slow: a day of 0.1 ms adverts is 10⁹ packets
				}
				if off > 0 && !(on >= 0.05) {
					on = 0.05 // so is a window of 10⁻¹⁰ s on periods
				}
				return &Schedule{Kind: ScheduleKind(sel / 5 % 3), Mode: ScanMode(sel / 15), AdvInterval: iv, AdvPhase: phase,
					AdvOn: on, AdvOff: off, AdvCyclePhase: phase * 3}
			}
			s := m.NewSchedule(ScheduleKind(sel%5), key)
			return &s
		}
		l := Link{DistanceM: d, Env: Environment(carr % 4), People: people, Walls: walls,
			Tx: Phone{Sched: sched(txSel, seed^1), OS: OS(flags & 1), Foreground: flags&2 != 0, Calibrated: flags&4 != 0,
				Carriage: Carriage(carr % 7), Offsets: m.ModelOffsets(seed, 1)},
			Rx: Phone{Sched: sched(rxSel, seed^2), OS: OS(flags >> 3 & 1), Foreground: flags&16 != 0, Calibrated: flags&32 != 0,
				Carriage: Carriage(carr / 7 % 7), Offsets: m.ModelOffsets(seed, 2)}}
		p := m.Prepare(l, seed, pair)
		if length > 3600 || !(length > -3600) {
			length = 3600 // a day of windows is slow, not wrong
		}
		w := ScanWindow{Start: start, End: start + length, Index: int64(pair)}
		until := start + untilOff
		// The window, then the next ones of the receiver (or shifted
		// copies), under poses that repeat and change.
		ws := []ScanWindow{w}
		if rs := l.Rx.Sched; rs != nil && finite(start) {
			ws = rs.AppendWindows(ws, start, start+600, flags&64 != 0)
		}
		for len(ws) < 4 {
			last := ws[len(ws)-1]
			ws = append(ws, ScanWindow{Start: last.End, End: last.End + length, Index: last.Index + 1})
		}
		if len(ws) > 8 {
			ws = ws[:8]
		}
		poses := []uint64{poseA, poseA, poseB, poseC, poseA, poseB, poseB, poseC}
		for j, w := range ws {
			window := WindowKey(seed, w.Index)
			if j%2 == 1 {
				window = poseC + uint64(j) // a key that is not a WindowKey
			}
			if diff, _, _ := preparedCheck(m, l, &p, seed, pair, w, poses[j], window, bucketS, until); diff != "" {
				t.Fatalf("window %d %+v, pose %d: %s", j, w, poses[j], diff)
			}
		}
		if k := NewWindowKeys(seed).Key(int64(pair)); k != WindowKey(seed, int64(pair)) {
			t.Fatalf("WindowKeys(%d).Key(%d) = %#x, WindowKey %#x", seed, int64(pair), k, WindowKey(seed, int64(pair)))
		}
	})
}
