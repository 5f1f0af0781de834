package radio

import (
	"math"
	"testing"
)

// bruteEvents counts tx's advertising events inside rx's listening time in
// w by stepping through every event.
func bruteEvents(tx *Schedule, mode ScanMode, w ScanWindow) int {
	n := 0
	for i := 0; ; i++ {
		a, b, ok := listen(mode, w, i)
		if !ok {
			return n
		}
		for t := tx.nextEvent(a); t < b; t = tx.nextEvent(t + tx.AdvInterval/2) {
			n++
		}
	}
}

func TestGAENSchedule(t *testing.T) {
	m := mustModel(t, nil)
	p := m.Params()
	for i := range uint64(200) {
		s := m.NewSchedule(GAENSchedule, Hash(1, i))
		if s.ScanPeriod < p.GAENScanPeriodMinS || s.ScanPeriod > p.GAENScanPeriodMaxS {
			t.Fatalf("scan period %v outside 210–300 s", s.ScanPeriod)
		}
		if iv := s.AdvInterval * 1000; iv < p.AdvIntervalMinMs || iv > p.AdvIntervalMaxMs {
			t.Fatalf("advertising interval %v ms outside 200–270", iv)
		}
		wins := s.AppendWindows(nil, 0, 86400, false)
		if want := 86400 / s.ScanPeriod; math.Abs(float64(len(wins))-want) > 1 {
			t.Fatalf("%d windows a day, want about %.1f", len(wins), want)
		}
		for j, w := range wins {
			if math.Abs(w.Len()-4) > 1e-9 || w.Start < 0 || w.Start >= 86400 || (j > 0 && math.Abs(w.Start-wins[j-1].Start-s.ScanPeriod) > 1e-6) {
				t.Fatalf("bad window %d %+v", j, w)
			}
		}
		// A 4 s window holds 14–20 advertising events (radio.md §2.5).
		tx := m.NewSchedule(GAENSchedule, Hash(2, i))
		for _, w := range wins[:5] {
			n := m.Events(&tx, &s, w)
			if n < 14 || n > 20 || n != bruteEvents(&tx, s.Mode, w) {
				t.Fatalf("events %d (brute %d) in %+v", n, bruteEvents(&tx, s.Mode, w), w)
			}
		}
	}
	// Phases differ between phones.
	a, b := m.NewSchedule(GAENSchedule, 1), m.NewSchedule(GAENSchedule, 2)
	if a.ScanPhase == b.ScanPhase || a.ScanPeriod == b.ScanPeriod {
		t.Error("two phones share a scan phase or period")
	}
}

func TestBluezoneSchedule(t *testing.T) {
	for _, mode := range []string{"low_latency", "balanced", "low_power"} {
		m := mustModel(t, func(p *Params) { p.BluezoneScanMode = mode })
		sm, _ := ParseScanMode(mode)
		var events, listenS float64
		for i := range uint64(100) {
			tx := m.NewSchedule(BluezoneAndroid, Hash(3, 2*i))
			rx := m.NewSchedule(BluezoneAndroid, Hash(3, 2*i+1))
			for _, fg := range []bool{false, true} {
				wins := rx.AppendWindows(nil, 1000, 4000, fg)
				period, length := 300.0, 40.0
				if fg {
					period, length = 155, 150
				}
				if math.Abs(float64(len(wins))-3000/period) > 1 {
					t.Fatalf("fg=%v: %d windows in 3000 s", fg, len(wins))
				}
				for _, w := range wins {
					if math.Abs(w.Len()-length) > 1e-9 {
						t.Fatalf("fg=%v: window length %v", fg, w.Len())
					}
					n := m.Events(&tx, &rx, w)
					if n != bruteEvents(&tx, rx.Mode, w) {
						t.Fatalf("events %d, brute force %d", n, bruteEvents(&tx, rx.Mode, w))
					}
					events += float64(n)
					listenS += w.Len()
				}
			}
		}
		// Advertising half the time every 100 ms, listening at the mode's
		// duty: 5 events per second of window times the duty.
		rate := events / listenS
		if want := 5 * sm.Duty(); math.Abs(rate-want)/want > 0.1 {
			t.Errorf("%s: %.3f events per window second, want %.3f", mode, rate, want)
		}
	}
}

func TestAppendWindowsNoAlloc(t *testing.T) {
	m := mustModel(t, nil)
	s := m.NewSchedule(GAENSchedule, 9)
	buf := make([]ScanWindow, 0, 16)
	from := 0.0
	allocs := testing.AllocsPerRun(100, func() {
		buf = s.AppendWindows(buf[:0], from, from+3600, false)
		from += 3600
	})
	if allocs != 0 || len(buf) == 0 {
		t.Fatalf("%v allocations, %d windows", allocs, len(buf))
	}
	// The iterator gives the same windows.
	var it []ScanWindow
	for w := range s.Windows(0, 7200, false) {
		it = append(it, w)
	}
	if want := s.AppendWindows(nil, 0, 7200, false); len(it) != len(want) || len(it) == 0 || it[0] != want[0] || it[len(it)-1] != want[len(want)-1] {
		t.Fatalf("Windows gave %d windows, AppendWindows %d", len(it), len(want))
	}
	// Consecutive ranges partition the windows.
	all := s.AppendWindows(nil, 0, 7200, false)
	parts := s.AppendWindows(s.AppendWindows(nil, 0, 3000, false), 3000, 7200, false)
	if len(all) != len(parts) {
		t.Fatalf("%d windows vs %d in two parts", len(all), len(parts))
	}
	for i := range all {
		if all[i] != parts[i] {
			t.Fatalf("window %d differs", i)
		}
	}
}

// TestScanPathsAgree checks that the fast path (summary only), the general
// loop (with a packet buffer) and Records see the same packets, and that a
// report is a pure function of its inputs.
func TestScanPathsAgree(t *testing.T) {
	m := mustModel(t, nil)
	buf := make([]float32, 4096)
	for i := range uint64(300) {
		d := 1 + float64(i%40)*2.5
		l, w, key := gaenLink(m, Outdoor, d, i)
		l.Walls = int(i % 4)
		fast := m.Scan(l, w, key)
		slow, n := m.ScanInto(l, w, key, buf)
		if !sameReport(fast, slow) {
			t.Fatalf("encounter %d: fast %v, general %v", i, fast, slow)
		}
		if n != int(fast.Received) {
			t.Fatalf("wrote %d of %d", n, fast.Received)
		}
		if again := m.Scan(l, w, key); again != fast {
			t.Fatal("same inputs, different report")
		}
	}
	// Bluezone: records are ≥ 5 s apart, inside the window, and each is a
	// packet of the full scan.
	for i := range uint64(50) {
		tx := m.NewSchedule(BluezoneAndroid, Hash(4, 2*i))
		rx := m.NewSchedule(BluezoneAndroid, Hash(4, 2*i+1))
		w := rx.AppendWindows(nil, 0, 300, false)[0]
		l := Link{DistanceM: 3, Env: Indoor, Tx: Phone{Sched: &tx}, Rx: Phone{Sched: &rx}}
		key := StreamKey{Seed: 2, Pair: i, Window: WindowKey(2*i+1, w.Index)}
		rep, n := m.ScanInto(l, w, key, buf)
		if rep != m.Scan(l, w, key) || int(rep.Received) != n {
			t.Fatal("Scan and ScanInto disagree")
		}
		seen := map[float32]bool{}
		for _, r := range buf[:n] {
			seen[r] = true
		}
		recs := m.Records(l, w, key, nil)
		if rep.Received > 0 && len(recs) == 0 {
			t.Fatal("packets but no records")
		}
		if len(recs) > m.RecordSlots(w) {
			t.Fatalf("%d records in a %v s window", len(recs), w.Len())
		}
		if len(recs) > 1 {
			after := m.RecordsAfter(l, w, key, recs[0].T, nil)
			if len(after) != len(recs)-1 || after[0] != recs[1] {
				t.Fatalf("RecordsAfter the first record: %v, want %v", after, recs[1:])
			}
		}
		for j, r := range recs {
			if r.T < w.Start || r.T >= w.End || !seen[r.RSSI] || (j > 0 && r.T-recs[j-1].T < 5-1e-6) {
				t.Fatalf("bad record %d %+v in %+v (seen %v, prev %+v)", j, r, w, seen[r.RSSI], recs[max(j-1, 0)])
			}
		}
	}
}

func TestScanNoAlloc(t *testing.T) {
	m := mustModel(t, nil)
	l, w, key := gaenLink(m, Indoor, 2, 1)
	buf := make([]float32, 64)
	recs := make([]Record, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		m.Scan(l, w, key)
		m.ScanInto(l, w, key, buf)
		recs = m.Records(l, w, key, recs[:0])
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per scan", allocs)
	}
}

func TestTrace(t *testing.T) {
	m := mustModel(t, nil)
	a := m.NewSchedule(GAENSchedule, 1)
	b := m.NewSchedule(GAENSchedule, 2)
	l := Link{Env: Indoor, Tx: Phone{Sched: &a, Calibrated: true}, Rx: Phone{Sched: &b, Calibrated: true}}
	// Approach from 30 m to 1 m over 20 min, stay 20 min, leave.
	trace := []TracePoint{{0, 30}, {1200, 1}, {2400, 1}, {3600, 30}}
	scans, err := m.Trace(l, trace, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) < 20 {
		t.Fatalf("%d scans in an hour", len(scans))
	}
	for i, s := range scans {
		if i > 0 && s.Window.Start < scans[i-1].Window.Start {
			t.Fatal("scans not in time order")
		}
		if s.Window.Start > 1300 && s.Window.Start < 2300 && (!s.Report.Detected() || s.DistanceM != 1) {
			t.Fatalf("close contact scan %+v", s)
		}
	}
	again, _ := m.Trace(l, trace, 5)
	for i := range scans {
		if scans[i] != again[i] {
			t.Fatal("Trace not deterministic")
		}
	}
	for _, bad := range [][]TracePoint{nil, {{0, 1}, {0, 2}}, {{0, -1}}, {{math.NaN(), 1}}} {
		if _, err := m.Trace(l, bad, 1); err == nil {
			t.Errorf("trace %v accepted", bad)
		}
	}
	if _, err := m.Trace(Link{}, trace, 1); err == nil {
		t.Error("trace without schedules accepted")
	}
}

// TestOrderIndependent runs the same scans forwards, backwards and from
// several goroutines: the reports must be identical.
func TestOrderIndependent(t *testing.T) {
	m := mustModel(t, nil)
	const n = 200
	fwd := make([]ScanReport, n)
	for i := range n {
		l, w, key := gaenLink(m, Indoor, 1+float64(i%17), uint64(i))
		fwd[i] = m.Scan(l, w, key)
	}
	done := make(chan [2]int, n)
	for i := n - 1; i >= 0; i-- {
		go func() {
			l, w, key := gaenLink(m, Indoor, 1+float64(i%17), uint64(i))
			if m.Scan(l, w, key) != fwd[i] {
				done <- [2]int{i, 1}
				return
			}
			done <- [2]int{i, 0}
		}()
	}
	for range n {
		if r := <-done; r[1] != 0 {
			t.Fatalf("scan %d differs when run in another order", r[0])
		}
	}
}

// sameReport compares reports: counts exactly, dB values to 1e-3 (the fast
// path sums the same packets in another order).
func sameReport(a, b ScanReport) bool {
	near := func(x, y float32) bool { return math.Abs(float64(x-y)) < 1e-3 }
	return a.Events == b.Events && a.Received == b.Received && a.Calibrated == b.Calibrated &&
		near(a.MinRSSI, b.MinRSSI) && near(a.MaxRSSI, b.MaxRSSI) && near(a.MeanRSSI, b.MeanRSSI) &&
		near(a.MinAttenDB, b.MinAttenDB) && near(a.TypicalAttenDB, b.TypicalAttenDB)
}
