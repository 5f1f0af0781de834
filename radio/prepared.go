package radio

import "math"

// PreparedLink is a Link made ready for many scan windows under one seed
// and pair key: what Scan and Strongest would otherwise redo in every
// window is done once by Model.Prepare (the schedules resolved and
// checked, the mean RSSI, the pair's hash, the environment's constants,
// the calibration correction, whether the iOS background rule applies,
// the record jump's step), and the pose draw is kept until the pose index
// changes (consecutive windows often share a pose epoch).
//
// Its methods give exactly what the per-window calls give for the same
// link and StreamKey{Seed: seed, Pair: pair, Pose: pose, Window: window}:
// the same draws, the same floats, bit for bit (TestPreparedEqualsPerWindow,
// FuzzPreparedEqualsPerWindow). The per-window calls stay the reference.
//
// A PreparedLink is a small value with a cache, so its methods take a
// pointer: use one per goroutine. The zero value is a link that hears
// nothing. Preparing a link does not allocate, and neither do its
// methods (Strongest when out has room).
type PreparedLink struct {
	m      *Model
	tx, rx *Schedule
	// valid is tx.valid(): an invalid advertiser sends nothing.
	valid bool
	// silent is Model.Silent of the link; iosGate is true when the iOS
	// background rule draws per window (both phones backgrounded iPhones
	// on Bluezone's iOS schedule).
	silent, iosGate bool
	calibrated      bool
	base            uint64 // hash2(seed, pair)
	mean            float64
	sigmaSlow       float64
	fade            *fadeTable
	corr            float64
	recS, step      float64
	// The last pose drawn: its index and draws.
	posed bool
	pose  uint64
	mu    float64
	ch    [3]float64
}

// Prepare makes l ready for many windows under seed and pair (the Seed
// and Pair of the StreamKeys the per-window calls would get). Everything
// in l is fixed for the PreparedLink's life: prepare again when any of it
// changes (a phone's Foreground, say).
func (m *Model) Prepare(l Link, seed, pair uint64) PreparedLink {
	tx, rx := l.Tx.Sched, l.Rx.Sched
	if tx == nil {
		tx = &m.defSched
	}
	if rx == nil {
		rx = &m.defSched
	}
	e := &m.env[l.Env%numEnvironments]
	p := PreparedLink{
		m: m, tx: tx, rx: rx, valid: tx.valid(),
		silent:     m.Silent(&l),
		iosGate:    iosGated(&l),
		calibrated: l.Tx.Calibrated && l.Rx.Calibrated,
		base:       hash2(seed, pair),
		mean:       m.MeanRSSI(&l),
		sigmaSlow:  e.sigmaSlow,
		fade:       e.fade,
		corr:       Correction(l.Tx, l.Rx),
		recS:       m.p.BluezoneRecordS,
	}
	p.step = recordStep(p.recS, tx.AdvInterval)
	return p
}

// Silent is Model.Silent of the prepared link: its phones hear nothing of
// each other in any window, whatever the draws.
func (p *PreparedLink) Silent() bool { return p.silent }

// setPose draws pose index pose unless it is the one drawn last.
func (p *PreparedLink) setPose(pose uint64) {
	if p.posed && p.pose == pose {
		return
	}
	p.mu, p.ch = p.m.poseAt(p.mean, p.sigmaSlow, p.base, pose)
	p.posed, p.pose = true, pose
}

// blocked is Model.iosBlocked of the prepared link in window window.
func (p *PreparedLink) blocked(window uint64) bool {
	return p.iosGate && p.m.iosDraw(p.base, window)
}

// Scan is Model.Scan of the prepared link over window w with pose index
// pose and window key window (StreamKey's Pose and Window).
func (p *PreparedLink) Scan(w ScanWindow, pose, window uint64) ScanReport {
	if !p.valid || !clampWindow(&w) {
		return ScanReport{Calibrated: p.calibrated}
	}
	p.setPose(pose)
	d := scanDraws{mu: p.mu, ch: p.ch, fade: p.fade, wk: subKey(p.base, subFade, window),
		blocked: p.blocked(window), corr: p.corr, calibrated: p.calibrated}
	r, _ := p.m.scanPackets(p.tx, p.rx, w, &d, nil, nil, 0)
	return r
}

// Strongest is Model.Strongest of the prepared link over window w with
// pose index pose and window key window: it appends to out the strongest
// record of each bucket of bucketS seconds made before until.
func (p *PreparedLink) Strongest(w ScanWindow, pose, window uint64, bucketS, until float64, out []Record) []Record {
	if !(bucketS > 0) || math.IsInf(bucketS, 0) || !p.valid || !clampWindow(&w) || !(until > w.Start) ||
		p.blocked(window) {
		return out
	}
	p.setPose(pose)
	if !p.m.audible(p.mu, p.ch, p.fade) {
		return out
	}
	ks := keepScan{out: out, n0: len(out), bucketS: bucketS, until: until, step: p.step,
		recState: p.m.newRecState(p.fade, subKey(p.base, subFade, window), p.mu, p.ch, math.Inf(-1))}
	walkRuns(p.tx, p.rx, w, ks.run)
	return ks.out
}
