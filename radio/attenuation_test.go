package radio

import (
	"math"
	"testing"
)

// TestAttenuationOfRSSI checks Model.Attenuation, the conversion `bluesim
// radio` prints, from its definition (protocols.md §2.3): attenuation =
// TX level − (RSSI − calibration correction), where the TX level is
// P1m + atten_1m (the level that makes the attenuation at 1 m in line of
// sight atten_1m), the correction the calibrated part of both ends'
// offsets, and the result never below 0. The scan's own attenuations must
// be the same conversion of its RSSIs.
func TestAttenuationOfRSSI(t *testing.T) {
	m := mustModel(t, func(p *Params) { p.Ideal = true })
	p := m.Params()
	level := p.P1mDBm + p.Atten1mDB
	offs := DeviceOffsets{TX: 6, RX: -4, TXResidual: 1.5, RXResidual: -0.5}
	for _, tc := range []struct {
		name   string
		tx, rx Phone
		rssi   float64
		want   float64
	}{
		{"1 m line of sight", Phone{}, Phone{}, p.P1mDBm, p.Atten1mDB},
		{"20 dB weaker", Phone{}, Phone{}, p.P1mDBm - 20, p.Atten1mDB + 20},
		{"uncalibrated offsets are not corrected", Phone{Offsets: offs}, Phone{Offsets: offs}, -70, level + 70},
		// Calibrated: the correctable parts, TX − TXResidual = 4.5 and
		// RX − RXResidual = −3.5, are taken off the RSSI.
		{"calibrated transmitter", Phone{Offsets: offs, Calibrated: true}, Phone{Offsets: offs}, -70, level + 70 + 4.5},
		{"calibrated receiver", Phone{Offsets: offs}, Phone{Offsets: offs, Calibrated: true}, -70, level + 70 - 3.5},
		{"both calibrated", Phone{Offsets: offs, Calibrated: true}, Phone{Offsets: offs, Calibrated: true}, -70, level + 70 + 1},
		{"stronger than the TX level: 0", Phone{}, Phone{}, level + 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Attenuation(tc.tx, tc.rx, tc.rssi); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("Attenuation(%v dBm) = %v dB, want %v", tc.rssi, got, tc.want)
			}
		})
	}
	// Through a scan: its minimum and typical attenuations are Attenuation
	// of its strongest and mean RSSI.
	tx, rx := m.NewSchedule(GAENSchedule, 1), m.NewSchedule(GAENSchedule, 2)
	for _, cal := range []bool{false, true} {
		l := Link{DistanceM: 3, Env: Indoor, Tx: Phone{Sched: &tx, Offsets: offs, Calibrated: cal}, Rx: Phone{Sched: &rx, Offsets: offs, Calibrated: cal}}
		heard := 0
		for _, w := range rx.AppendWindows(nil, 0, 1800, false) {
			r := m.Scan(l, w, StreamKey{Seed: 3, Pair: PairKey(1, 2), Window: uint64(w.Index)})
			if r.Received == 0 {
				continue
			}
			heard++
			if a := m.Attenuation(l.Tx, l.Rx, float64(r.MaxRSSI)); math.Abs(a-float64(r.MinAttenDB)) > 1e-3 {
				t.Fatalf("calibrated %v: scan's min attenuation %v, Attenuation of its max RSSI %v", cal, r.MinAttenDB, a)
			}
			if a := m.Attenuation(l.Tx, l.Rx, float64(r.MeanRSSI)); math.Abs(a-float64(r.TypicalAttenDB)) > 1e-3 {
				t.Fatalf("calibrated %v: scan's typical attenuation %v, Attenuation of its mean RSSI %v", cal, r.TypicalAttenDB, a)
			}
		}
		if heard == 0 {
			t.Fatal("nothing heard: the comparison is empty")
		}
	}
}

// TestOnePacketScan: a scan that hears exactly one packet reports that
// packet as its minimum, maximum and mean RSSI and its attenuations, like
// any other scan (in the ideal radio, the link's mean RSSI).
func TestOnePacketScan(t *testing.T) {
	m := mustModel(t, func(p *Params) { p.Ideal = true })
	tx, rx := m.NewSchedule(GAENSchedule, 1), m.NewSchedule(GAENSchedule, 2)
	l := Link{DistanceM: 2, Env: Indoor, Tx: Phone{Sched: &tx}, Rx: Phone{Sched: &rx}}
	want := m.MeanRSSI(&l)
	found := 0
	// Windows of 50 ms, shorter than the advertising interval, slid over a
	// few seconds: some hold exactly one advertising event.
	for i := range 200 {
		w := ScanWindow{Start: float64(i) * 0.037, End: float64(i)*0.037 + 0.05, Index: int64(i)}
		r := m.Scan(l, w, StreamKey{Seed: 1, Pair: PairKey(1, 2), Window: uint64(i)})
		if r.Received != 1 {
			continue
		}
		found++
		for name, v := range map[string]float32{"min": r.MinRSSI, "max": r.MaxRSSI, "mean": r.MeanRSSI} {
			if math.Abs(float64(v)-want) > 1e-4 {
				t.Fatalf("one packet, %s RSSI %v, want %v (%v)", name, v, want, r)
			}
		}
		if a := m.Attenuation(l.Tx, l.Rx, want); math.Abs(float64(r.TypicalAttenDB)-a) > 1e-3 || math.Abs(float64(r.MinAttenDB)-a) > 1e-3 {
			t.Fatalf("one packet: attenuations %v, %v; want %v", r.MinAttenDB, r.TypicalAttenDB, a)
		}
	}
	if found == 0 {
		t.Fatal("no window heard exactly one packet: the test compares nothing")
	}
}
