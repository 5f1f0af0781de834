package radio

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// gaenLink is a GAEN link between two phones with schedules drawn from
// keys, hand to hand, zero device offsets.
func gaenLink(m *Model, env Environment, d float64, id uint64) (Link, ScanWindow, StreamKey) {
	tx := m.NewSchedule(GAENSchedule, Hash(99, 2*id))
	rx := m.NewSchedule(GAENSchedule, Hash(99, 2*id+1))
	wins := rx.AppendWindows(make([]ScanWindow, 0, 2), 0, rx.ScanPeriod, false)
	l := Link{DistanceM: d, Env: env, Tx: Phone{Sched: &tx, Calibrated: true}, Rx: Phone{Sched: &rx, Calibrated: true}}
	return l, wins[0], StreamKey{Seed: 1, Pair: PairKey(2*id, 2*id+1), Window: WindowKey(2*id+1, wins[0].Index)}
}

// TestLogDistanceFit fits RSSI = a + b·log10(d) to per-packet RSSIs of many
// independent outdoor line-of-sight encounters and checks that it recovers
// n_outdoor within ±0.15 and the per-packet spread within ±0.5 dB.
func TestLogDistanceFit(t *testing.T) {
	m := mustModel(t, nil)
	var x, y []float64
	buf := make([]float32, 64)
	const encounters = 3000
	for i := range uint64(encounters) {
		// Log-uniform distances over 0.5–10 m, as in the niclasku runs
		// (radio.md §1.3), well above sensitivity.
		d := 0.5 * math.Pow(20, (float64(i)+0.5)/encounters)
		l, w, key := gaenLink(m, Outdoor, d, i)
		_, n := m.ScanInto(l, w, key, buf)
		for _, r := range buf[:n] {
			x = append(x, math.Log10(d))
			y = append(y, float64(r))
		}
	}
	a, b := stat.LinearRegression(x, y, nil, false)
	n := -b / 10
	if want := m.Params().NOutdoor; math.Abs(n-want) > 0.15 {
		t.Errorf("fitted exponent %.3f, want %.2f ± 0.15", n, want)
	}
	if math.Abs(a-m.Params().P1mDBm) > 1 {
		t.Errorf("fitted RSSI(1 m) %.2f, want %.1f ± 1", a, m.Params().P1mDBm)
	}
	var ss float64
	for i := range x {
		r := y[i] - (a + b*x[i])
		ss += r * r
	}
	sd := math.Sqrt(ss / float64(len(x)-2))
	if want := m.PerPacketSD(Outdoor); math.Abs(sd-want) > 0.5 {
		t.Errorf("per-packet spread %.2f dB, want %.2f ± 0.5", sd, want)
	}
	t.Logf("%d packets: n=%.3f RSSI(1m)=%.2f spread=%.2f (model %.2f)", len(x), n, a, sd, m.PerPacketSD(Outdoor))
}

// TestCarriageLoss checks that the mean loss of each carriage position,
// at either end, matches its parameter within 1 dB (independent draws per
// carriage, so this is a statistical check, not an identity).
func TestCarriageLoss(t *testing.T) {
	m := mustModel(t, nil)
	const encounters = 3000
	meanRSSI := func(tx, rx Carriage, salt uint64) float64 {
		var sum float64
		var n int
		for i := range uint64(encounters) {
			l, w, key := gaenLink(m, Indoor, 2, i+salt)
			l.Tx.Carriage, l.Rx.Carriage = tx, rx
			r := m.Scan(l, w, key)
			sum += float64(r.MeanRSSI) * float64(r.Received)
			n += int(r.Received)
		}
		return sum / float64(n)
	}
	ref := meanRSSI(Hand, Hand, 0)
	body := m.Params().BodyLossDB
	for ci, c := range Carriages() {
		for end, name := range []string{"tx", "rx"} {
			tx, rx := c, Hand
			if end == 1 {
				tx, rx = Hand, c
			}
			loss := ref - meanRSSI(tx, rx, uint64(1+ci*2+end)*1_000_000)
			if math.Abs(loss-body.Of(c)) > 1 {
				t.Errorf("%s at %s: mean loss %.2f dB, want %.1f ± 1", c, name, loss, body.Of(c))
			}
		}
	}
}

// TestDetectionFallsWithDistance checks that the per-scan detection
// probability falls with distance and reaches both ends.
func TestDetectionFallsWithDistance(t *testing.T) {
	m := mustModel(t, nil)
	prev := 1.0
	var ps []float64
	for _, d := range []float64{1, 4, 16, 64, 256} {
		det := 0
		const windows = 2000
		for i := range uint64(windows) {
			l, w, key := gaenLink(m, Indoor, d, i)
			l.Tx.Carriage, l.Rx.Carriage = BackPocket, Bag
			l.Walls = 1
			if m.Scan(l, w, key).Detected() {
				det++
			}
		}
		p := float64(det) / windows
		ps = append(ps, p)
		if p > prev+0.02 {
			t.Errorf("p_detect at %g m = %.3f, above %.3f at the shorter distance", d, p, prev)
		}
		prev = p
	}
	if ps[0] < 0.95 || ps[len(ps)-1] > 0.2 {
		t.Errorf("p_detect %v: want near 1 at 1 m and low at 256 m", ps)
	}
}

// TestIOSBackgroundRule checks radio.md §2.4: backgrounded iPhones running
// Bluezone do not find each other (unless ios_bg_bg_detect_prob says so),
// while a foreground app or an Android phone on either side does.
func TestIOSBackgroundRule(t *testing.T) {
	for _, prob := range []float64{0, 0.25} {
		m := mustModel(t, func(p *Params) { p.IOSBgBgDetectProb = prob })
		for _, tc := range []struct {
			name           string
			txOS, rxOS     OS
			txFg, rxFg     bool
			wantLo, wantHi float64
		}{
			{"ios bg ↔ ios bg", IOS, IOS, false, false, prob - 0.04, prob + 0.04},
			{"ios fg → ios bg", IOS, IOS, true, false, 0.99, 1},
			{"ios bg → ios fg", IOS, IOS, false, true, 0.99, 1},
			{"android → ios bg", Android, IOS, false, false, 0.99, 1},
			{"ios bg → android", IOS, Android, false, false, 0.99, 1},
		} {
			det, n := 0, 1000
			for i := range uint64(n) {
				tx := m.NewSchedule(KindFor(Bluezone, tc.txOS), Hash(5, 2*i))
				rx := m.NewSchedule(KindFor(Bluezone, tc.rxOS), Hash(5, 2*i+1))
				// A window in which the advertiser is on: iOS advertises
				// continuously, Android 15 s of every 30 s.
				wins := rx.AppendWindows(nil, 0, 3*rx.ScanPeriod, tc.rxFg)
				w := wins[0]
				l := Link{DistanceM: 1.5, Env: Indoor,
					Tx: Phone{OS: tc.txOS, Sched: &tx, Foreground: tc.txFg},
					Rx: Phone{OS: tc.rxOS, Sched: &rx, Foreground: tc.rxFg}}
				if m.Scan(l, w, StreamKey{Seed: 3, Pair: i, Window: WindowKey(2*i+1, w.Index)}).Detected() {
					det++
				}
			}
			p := float64(det) / float64(n)
			if p < tc.wantLo || p > tc.wantHi {
				t.Errorf("prob=%v %s: detected in %.3f of windows, want %.2f–%.2f", prob, tc.name, p, tc.wantLo, tc.wantHi)
			}
		}
	}
}

// TestPairOffsetSpread checks radio.md §1.2: calibrated, the pair offset
// left in the attenuation has the residual's SD (3 dB); uncalibrated it
// has √(tx² + rx²) ≈ 9.7 dB.
func TestPairOffsetSpread(t *testing.T) {
	m := mustModel(t, nil)
	r := NewRand(11)
	const n = 20000
	var cal, uncal, tx, rx []float64
	for range n {
		a, b := m.DrawDeviceOffsets(r), m.DrawDeviceOffsets(r)
		cal = append(cal, PairOffset(Phone{Offsets: a, Calibrated: true}, Phone{Offsets: b, Calibrated: true}))
		uncal = append(uncal, PairOffset(Phone{Offsets: a}, Phone{Offsets: b}))
		tx = append(tx, float64(a.TX))
		rx = append(rx, float64(b.RX))
	}
	p := m.Params()
	for _, tc := range []struct {
		name      string
		x         []float64
		want, tol float64
	}{
		{"calibrated pair", cal, p.GAENResidualCalibSDDB, 0.1},
		{"uncalibrated pair", uncal, math.Hypot(p.DevTXOffsetSDDB, p.DevRXOffsetSDDB), 0.2},
		{"tx", tx, p.DevTXOffsetSDDB, 0.2},
		{"rx", rx, p.DevRXOffsetSDDB, 0.15},
	} {
		if sd := stat.StdDev(tc.x, nil); math.Abs(sd-tc.want) > tc.tol {
			t.Errorf("%s offset SD %.2f, want %.2f ± %.2f", tc.name, sd, tc.want, tc.tol)
		}
	}
	// Keyed per-model offsets have the same spread.
	var keyed []float64
	for i := range uint64(n) {
		keyed = append(keyed, float64(m.ModelOffsets(4, i).TX))
	}
	if sd := stat.StdDev(keyed, nil); math.Abs(sd-p.DevTXOffsetSDDB) > 0.2 {
		t.Errorf("ModelOffsets TX SD %.2f", sd)
	}
	if m.ModelOffsets(4, 17) != m.ModelOffsets(4, 17) || m.ModelOffsets(4, 17) == m.ModelOffsets(4, 18) {
		t.Error("ModelOffsets not a function of (seed, model)")
	}
}

// TestAttenuation checks the reported attenuation against the per-packet
// RSSIs: min attenuation is that of the strongest packet, the typical one
// that of the mean; calibrated phones remove all but the residual.
func TestAttenuation(t *testing.T) {
	m := mustModel(t, nil)
	off := DeviceOffsets{TX: 9, RX: -6, TXResidual: 1, RXResidual: -0.5}
	l, w, key := gaenLink(m, Outdoor, 1, 3)
	l.Tx.Offsets, l.Rx.Offsets = off, off
	buf := make([]float32, 64)
	r, n := m.ScanInto(l, w, key, buf)
	if n == 0 || int(r.Received) != n {
		t.Fatalf("received %d, wrote %d", r.Received, n)
	}
	maxR, sum := math.Inf(-1), 0.0
	for _, v := range buf[:n] {
		maxR = math.Max(maxR, float64(v))
		sum += float64(v)
	}
	corr := (9 - 1) + (-6 + 0.5)
	txLevel := m.Params().P1mDBm + m.Params().Atten1mDB
	if got, want := float64(r.MinAttenDB), txLevel-(maxR-corr); math.Abs(got-want) > 1e-3 {
		t.Errorf("min attenuation %.3f, want %.3f", got, want)
	}
	if got, want := float64(r.TypicalAttenDB), txLevel-(sum/float64(n)-corr); math.Abs(got-want) > 1e-3 {
		t.Errorf("typical attenuation %.3f, want %.3f", got, want)
	}
	if !r.Calibrated {
		t.Error("report not marked calibrated")
	}
}
