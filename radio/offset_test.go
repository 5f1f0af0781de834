package radio

import (
	"math"
	"testing"
)

// TestRxOffsetShiftsScannedRSSI checks a receiver's model offset through
// what a scan reports, not through a helper: in the ideal radio every
// packet's RSSI is the link's mean, and a receiver whose model reads o dB
// hot (DeviceOffsets.RX = o) must report every packet, the scan's minimum,
// maximum and mean, and every Bluezone record exactly o dB above the same
// scan by a receiver with no offset (radio.md §1.1: RSSI = P1m + TX + RX −
// path loss − losses). The transmitter's offset shifts it the same way. An
// uncalibrated receiver's attenuation (TX level − RSSI) falls by the same
// o; a calibrated one whose offset is all correctable (no residual)
// reports the attenuation of the ideal phone.
func TestRxOffsetShiftsScannedRSSI(t *testing.T) {
	m := mustModel(t, func(p *Params) { p.Ideal = true })
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-4 }
	for _, kind := range []ScheduleKind{GAENSchedule, BluezoneAndroid, BluezoneIOS} {
		for _, side := range []string{"rx", "tx"} {
			for _, o := range []float32{-9, -2.5, 3, 12} {
				tx := m.NewSchedule(kind, 101)
				rx := m.NewSchedule(kind, 202)
				base := Link{DistanceM: 2.5, Env: Indoor, Walls: 1,
					Tx: Phone{Sched: &tx, Carriage: FrontPocket}, Rx: Phone{Sched: &rx, Carriage: Hand, Foreground: true}}
				shifted := base
				if side == "rx" {
					shifted.Rx.Offsets.RX = o
				} else {
					shifted.Tx.Offsets.TX = o
				}
				buf0, buf1 := make([]float32, 512), make([]float32, 512)
				windows := rx.AppendWindows(nil, 0, 3600, true)
				if len(windows) == 0 {
					t.Fatalf("%v: no scan windows in an hour", kind)
				}
				heard := 0
				for _, w := range windows {
					key := StreamKey{Seed: 5, Pair: PairKey(1, 2), Pose: uint64(w.Start / 60), Window: WindowKey(9, w.Index)}
					r0, n0 := m.ScanInto(base, w, key, buf0)
					r1, n1 := m.ScanInto(shifted, w, key, buf1)
					if r0.Received != r1.Received || n0 != n1 || r0.Events != r1.Events {
						t.Fatalf("%v %s %+v: offset %v changed what was heard: %v vs %v", kind, side, w, o, r0, r1)
					}
					if r0.Received == 0 {
						continue
					}
					heard++
					for i := range n0 {
						if !near(float64(buf1[i]-buf0[i]), float64(o)) {
							t.Fatalf("%v %s: packet %d RSSI %v with offset %v, %v without: want a shift of exactly %v dB",
								kind, side, i, buf1[i], o, buf0[i], o)
						}
					}
					for _, f := range []struct {
						name   string
						x0, x1 float32
						want   float32
					}{
						{"min RSSI", r0.MinRSSI, r1.MinRSSI, o},
						{"max RSSI", r0.MaxRSSI, r1.MaxRSSI, o},
						{"mean RSSI", r0.MeanRSSI, r1.MeanRSSI, o},
						{"min attenuation", r0.MinAttenDB, r1.MinAttenDB, -o},
						{"typical attenuation", r0.TypicalAttenDB, r1.TypicalAttenDB, -o},
					} {
						if !near(float64(f.x1-f.x0), float64(f.want)) {
							t.Fatalf("%v %s offset %v: %s %v, %v without: want a change of %v", kind, side, o, f.name, f.x1, f.x0, f.want)
						}
					}
					rec0 := m.Records(base, w, key, nil)
					rec1 := m.Records(shifted, w, key, nil)
					if len(rec0) != len(rec1) {
						t.Fatalf("%v %s: %d records with offset %v, %d without", kind, side, len(rec1), o, len(rec0))
					}
					for i := range rec0 {
						if rec0[i].T != rec1[i].T || !near(float64(rec1[i].RSSI-rec0[i].RSSI), float64(o)) {
							t.Fatalf("%v %s offset %v: record %+v, %+v without", kind, side, o, rec1[i], rec0[i])
						}
					}
					// Calibrated ends whose offsets are fully corrected: the
					// attenuation is the ideal phone's.
					cal0, cal1 := base, shifted
					cal0.Tx.Calibrated, cal0.Rx.Calibrated = true, true
					cal1.Tx.Calibrated, cal1.Rx.Calibrated = true, true
					c0, c1 := m.Scan(cal0, w, key), m.Scan(cal1, w, key)
					if !near(float64(c1.MeanRSSI-c0.MeanRSSI), float64(o)) || !near(float64(c1.TypicalAttenDB), float64(c0.TypicalAttenDB)) ||
						!near(float64(c1.MinAttenDB), float64(c0.MinAttenDB)) {
						t.Fatalf("%v %s offset %v calibrated: %v, %v without", kind, side, o, c1, c0)
					}
				}
				if heard == 0 {
					t.Fatalf("%v %s: nothing heard in %d windows: the test compares nothing", kind, side, len(windows))
				}
			}
		}
	}
}
