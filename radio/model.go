package radio

import (
	"fmt"
	"math"
)

// minDistanceM bounds the log-distance law below: closer than 10 cm the
// phones are in each other's near field and the law means nothing.
const minDistanceM = 0.1

// Phone is one end of a link: how it is carried, its model's radio
// offsets, whether its protocol applies GAEN's per-model calibration, its
// OS and app state, and its schedule (nil: continuous advertising at
// adv_interval_ms and continuous listening).
type Phone struct {
	Offsets    DeviceOffsets
	Sched      *Schedule
	OS         OS
	Carriage   Carriage
	Calibrated bool
	// Foreground is true while the app is open on screen: it lifts the iOS
	// background restriction (radio.md §2.4).
	Foreground bool
}

// Link is one direction of a pair of phones at one moment: Tx advertises,
// Rx scans.
type Link struct {
	DistanceM float64
	Env       Environment
	// People standing between the phones and walls between them.
	People, Walls int
	Tx, Rx        Phone
}

// StreamKey keys every random draw of a scan. Seed is the run seed; Pair
// identifies the unordered pair (PairKey); Pose numbers the pose epoch of
// the encounter (slow shadowing and channel offsets are redrawn per pose);
// Window identifies the scanner's window (WindowKey), which keys the
// per-packet fading.
type StreamKey struct {
	Seed, Pair, Pose, Window uint64
}

// ScanReport is what a scanner's callback hands the protocol for one
// advertiser over one scan window. RSSIs are in dBm, attenuations in dB;
// the RSSI and attenuation fields are meaningful only if Received > 0.
type ScanReport struct {
	// Events is how many advertising events of Tx fell inside the
	// scanner's listening time; Received how many were heard.
	Events, Received           int32
	MinRSSI, MaxRSSI, MeanRSSI float32
	// MinAttenDB is the attenuation of the strongest packet (GAEN
	// ScanInstance.minAttenuationDb), TypicalAttenDB the mean attenuation
	// (typicalAttenuationDb before rounding): TX level − (RSSI −
	// calibration correction), floored at 0 (protocols.md §2.3, §2.5).
	MinAttenDB, TypicalAttenDB float32
	// Calibrated is true when both ends are calibrated, so that the
	// attenuation is GAEN's; otherwise it is against the nominal TX level.
	Calibrated bool
}

// Detected reports whether at least one packet was received.
func (r ScanReport) Detected() bool { return r.Received > 0 }

// Record is one Bluezone sighting record: the time and RSSI of the packet
// that created it.
type Record struct {
	T    float64
	RSSI float32
}

// envConst holds what the model precomputes per environment.
type envConst struct {
	n10       float64 // 10·n
	loss      float64 // extra loss of the environment (vehicle_loss_db)
	sigmaSlow float64 // slow shadowing SD (pose, plus vehicle extra)
	fade      *fadeTable
}

// Model is the link model built once from Params; its methods are safe for
// concurrent use and do not allocate.
type Model struct {
	p         Params
	env       [numEnvironments]envConst
	body      [numCarriages]float64
	txLevel   float64 // reference TX level: P1m + atten_1m
	sens      float64
	sigmaCh   float64
	scanMode  ScanMode
	defSched  Schedule
	pairResSD float64 // residual per side: residual/√2
	// devTXSD and devRXSD are the device offset spreads (0 when ideal).
	devTXSD, devRXSD float64
}

// NewModel validates p and precomputes the per-environment constants.
func NewModel(p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	m := &Model{p: p, txLevel: p.P1mDBm + p.Atten1mDB, sens: p.RxSensitivityDBm, sigmaCh: p.SigmaChannelDB}
	ns := [numEnvironments]float64{p.NOutdoor, p.NIndoor, p.NVehicle}
	ks := [numEnvironments]float64{p.RicianKOutdoorDB, p.RicianKIndoorDB, p.RicianKVehicleDB}
	tables := map[float64]*fadeTable{}
	for e := range numEnvironments {
		slow := p.SigmaPoseDB
		if Environment(e) == Vehicle {
			// Seat occupants and metal add slow variation (radio.md §1.4, §5).
			slow = math.Hypot(p.SigmaPoseDB, p.SigmaVehicleExtraDB)
		}
		t := tables[ks[e]]
		if p.Ideal {
			t, slow = newIdealFadeTable(), 0
		} else if t == nil {
			t = newFadeTable(ks[e])
			tables[ks[e]] = t
		}
		m.env[e] = envConst{n10: 10 * ns[e], sigmaSlow: slow, fade: t}
		if Environment(e) == Vehicle {
			m.env[e].loss = p.VehicleLossDB
		}
	}
	for c := range numCarriages {
		m.body[c] = p.BodyLossDB.Of(Carriage(c))
	}
	mode, err := ParseScanMode(p.BluezoneScanMode)
	if err != nil {
		return nil, err
	}
	m.scanMode = mode
	iv := p.AdvIntervalMs / 1000
	m.defSched = Schedule{Kind: GAENSchedule, Mode: LowLatency, AdvInterval: iv}
	m.pairResSD = p.GAENResidualCalibSDDB / math.Sqrt2
	m.devTXSD, m.devRXSD = p.DevTXOffsetSDDB, p.DevRXOffsetSDDB
	if p.Ideal {
		m.sigmaCh, m.pairResSD, m.devTXSD, m.devRXSD = 0, 0, 0, 0
	}
	return m, nil
}

// Params returns the parameters the model was built from.
func (m *Model) Params() Params { return m.p }

// FadingSD returns the SD in dB of the per-packet fading in env.
func (m *Model) FadingSD(env Environment) float64 { return m.env[env%numEnvironments].fade.sd }

// PerPacketSD is the spread of per-packet RSSI about the log-distance law
// over independent encounters for fixed phones: slow shadowing, channel
// offset and fading added in quadrature.
func (m *Model) PerPacketSD(env Environment) float64 {
	e := &m.env[env%numEnvironments]
	return math.Sqrt(e.sigmaSlow*e.sigmaSlow + m.sigmaCh*m.sigmaCh + e.fade.sd*e.fade.sd)
}

// MeanRSSI is the mean per-packet RSSI of the link in dBm (radio.md §1.1
// without the random terms, which have zero mean in dB).
func (m *Model) MeanRSSI(l *Link) float64 {
	e := &m.env[l.Env%numEnvironments]
	d := l.DistanceM
	if !(d >= minDistanceM) { // also catches NaN
		d = minDistanceM
	}
	return m.p.P1mDBm + float64(l.Tx.Offsets.TX) + float64(l.Rx.Offsets.RX) -
		e.n10*fastLog10(d) - e.loss - m.body[l.Tx.Carriage%numCarriages] - m.body[l.Rx.Carriage%numCarriages] -
		float64(max(l.People, 0))*m.p.PersonBetweenDB - float64(max(l.Walls, 0))*m.p.WallLossDB
}

// Correction is what the receiver subtracts from RSSI before computing
// attenuation: the calibrated part of both ends' offsets (radio.md §1.1:
// TX_cal and rssi_correction). Uncalibrated ends contribute nothing.
func Correction(tx, rx Phone) float64 {
	c := 0.0
	if tx.Calibrated {
		c += float64(tx.Offsets.TX - tx.Offsets.TXResidual)
	}
	if rx.Calibrated {
		c += float64(rx.Offsets.RX - rx.Offsets.RXResidual)
	}
	return c
}

// PairOffset is the device offset left in the attenuation of a link:
// TX + RX minus the calibration correction. Its spread over random models
// is the calibration residual in calibrated mode and √(tx² + rx²)
// uncalibrated (radio.md §1.2).
func PairOffset(tx, rx Phone) float64 {
	return float64(tx.Offsets.TX+rx.Offsets.RX) - Correction(tx, rx)
}

// Attenuation converts an RSSI heard on link l to attenuation in dB.
func (m *Model) Attenuation(tx, rx Phone, rssi float64) float64 {
	return math.Max(0, m.txLevel-(rssi-Correction(tx, rx)))
}

// iosBlocked reports whether the iOS background rule hides tx from rx in
// this window (radio.md §2.4): a backgrounded iPhone neither advertises
// discoverably to, nor finds, another backgrounded iPhone, except with
// probability ios_bg_bg_detect_prob.
func (m *Model) iosBlocked(l *Link, base, window uint64) bool {
	return iosGated(l) && m.iosDraw(base, window)
}

// iosGated reports whether the iOS background rule applies to l: both
// phones are backgrounded iPhones on Bluezone's iOS schedule.
func iosGated(l *Link) bool {
	tx, rx := l.Tx, l.Rx
	return tx.Sched != nil && rx.Sched != nil && tx.Sched.Kind == BluezoneIOS && rx.Sched.Kind == BluezoneIOS &&
		!tx.Foreground && !rx.Foreground
}

// iosDraw is the per-window draw of the iOS background rule: true when
// the window hears nothing.
func (m *Model) iosDraw(base, window uint64) bool {
	return unit(subKey(base, subIOS, window)) >= m.p.IOSBgBgDetectProb
}

// Silent reports whether the phones of l hear nothing of each other in any
// scan window, whatever the draws: two backgrounded iPhones on Bluezone's
// iOS schedule when ios_bg_bg_detect_prob is 0 (radio.md §2.4), where Scan
// and Records would walk every packet to report nothing. A caller may skip
// such a link.
func (m *Model) Silent(l *Link) bool {
	return m.p.IOSBgBgDetectProb == 0 && iosGated(l)
}

// poseAt returns the slow part of the mean for a link of mean RSSI mean
// and slow shadowing SD sigmaSlow in pose epoch pose: mean RSSI plus slow
// shadowing, and the three channel offsets. It is the one place the pose
// draws are made, for the per-window calls and PreparedLink alike.
func (m *Model) poseAt(mean, sigmaSlow float64, base, pose uint64) (mu float64, ch [3]float64) {
	ps := stream(subKey(base, subPose, pose))
	x, y := ps.at(0), ps.at(1)
	mu = mean + sigmaSlow*normal32(uint32(x>>32))
	ch[0] = m.sigmaCh * normal32(uint32(x))
	ch[1] = m.sigmaCh * normal32(uint32(y>>32))
	ch[2] = m.sigmaCh * normal32(uint32(y))
	return mu, ch
}

// Scan returns what the scanner Rx reports about advertiser Tx over window
// w. It does not allocate.
func (m *Model) Scan(l Link, w ScanWindow, key StreamKey) ScanReport {
	r, _ := m.scan(&l, w, &key, nil, nil, 0)
	return r
}

// ScanInto is Scan that also writes the received packets' RSSIs, in time
// order, into rssi; it returns how many it wrote (at most len(rssi); the
// report covers all packets).
func (m *Model) ScanInto(l Link, w ScanWindow, key StreamKey, rssi []float32) (ScanReport, int) {
	return m.scan(&l, w, &key, rssi, nil, 0)
}

// Records appends to out the Bluezone sighting records the scanner makes
// of the advertiser during window w: the first packet heard creates a
// record, and the next one is made by the first packet heard at least
// bluezone_record_s later (protocols.md §1.4 TIME_DELAY_INSERT). The
// packets are the same ones Scan sees for the same arguments.
func (m *Model) Records(l Link, w ScanWindow, key StreamKey, out []Record) []Record {
	return m.records(&l, w, &key, out, math.Inf(-1))
}

// RecordsAfter is Records for a scanner that already recorded this peer at
// time last (for example at the end of the previous window of a continuous
// iOS scan, which is cut into back-to-back windows): no record is made
// before last + bluezone_record_s.
func (m *Model) RecordsAfter(l Link, w ScanWindow, key StreamKey, last float64, out []Record) []Record {
	return m.records(&l, w, &key, out, last)
}

// records is Records without walking every packet. It gives exactly the
// records of the packet loop in scan (TestRecordsMatchPacketLoop,
// FuzzRecords): the same packets, the same draws (each packet's fading is
// read by its ordinal), the same arithmetic. It only leaves out work
// whose outcome is known:
//   - a packet before the next record time makes no record and its
//     fading is never read, so the loop jumps to the first event at or
//     after that time (found by division, then corrected by the same
//     float comparison the packet loop makes);
//   - when even the strongest channel with the largest fading cell (the
//     table is increasing, and deep fades lie below its first cell) does
//     not clear sensitivity, no packet is heard: no records.
func (m *Model) records(l *Link, w ScanWindow, key *StreamKey, out []Record, lastRec float64) []Record {
	rs := recScan{out: out}
	tx, rx, ok := m.recordWindow(l, &w, key, &rs.recState, lastRec)
	if !ok {
		return out
	}
	walkRuns(tx, rx, w, rs.run)
	return rs.out
}

// recState is what a walk over a window's record packets needs: the
// link's draws for the window and the time of the next record.
type recState struct {
	m             *Model
	fs            stream
	fade          *fadeTable
	c0            uint64
	mu            float64
	ch            [3]float64
	recS, nextRec float64
	lastG, lastX  uint64
}

// recordWindow prepares a walk over the record packets of window w: it
// resolves the schedules, clamps the window, applies the iOS background
// rule, draws the pose and reports false when no packet of the window can
// be heard (even the strongest channel with the largest fading cell stays
// at or below sensitivity: the table is increasing, and deep fades lie
// below its first cell).
func (m *Model) recordWindow(l *Link, w *ScanWindow, key *StreamKey, st *recState, lastRec float64) (tx, rx *Schedule, ok bool) {
	tx, rx = l.Tx.Sched, l.Rx.Sched
	if tx == nil {
		tx = &m.defSched
	}
	if rx == nil {
		rx = &m.defSched
	}
	if !tx.valid() || !clampWindow(w) {
		return nil, nil, false
	}
	base := hash2(key.Seed, key.Pair)
	if m.iosBlocked(l, base, key.Window) {
		return nil, nil, false
	}
	e := &m.env[l.Env%numEnvironments]
	mu, ch := m.poseAt(m.MeanRSSI(l), e.sigmaSlow, base, key.Pose)
	fade := e.fade
	if !m.audible(mu, ch, fade) {
		return nil, nil, false
	}
	*st = m.newRecState(fade, subKey(base, subFade, key.Window), mu, ch, lastRec)
	return tx, rx, true
}

// audible reports whether any packet of a pose can clear sensitivity: the
// strongest channel with the largest fading cell (the table is
// increasing, and deep fades lie below its first cell).
func (m *Model) audible(mu float64, ch [3]float64, fade *fadeTable) bool {
	return !(mu+max(ch[0], ch[1], ch[2])+fade.mid[cellMask] <= m.sens)
}

// newRecState is the state of a walk over a window's record packets:
// fading stream wk, pose mu and ch, the last record at lastRec.
func (m *Model) newRecState(fade *fadeTable, wk uint64, mu float64, ch [3]float64, lastRec float64) recState {
	return recState{m: m, fs: stream(wk), fade: fade, c0: wk % 3, mu: mu, ch: ch,
		recS: m.p.BluezoneRecordS, nextRec: lastRec + m.p.BluezoneRecordS, lastG: ^uint64(0)}
}

// walkRuns calls run for every run of consecutive advertising events of tx
// inside the listening segments of rx in window w, in time order: the
// events first + k·iv for k in [k0, k1), with ordinals ordinal(obase + k),
// numbered exactly as scan's loops number them. It stops when run returns
// false.
func walkRuns(tx, rx *Schedule, w ScanWindow, run func(first, obase, iv, k0, k1 float64) bool) {
	iv := tx.AdvInterval
	perCycle := math.Floor(tx.AdvOn/iv) + 1
	for i := 0; ; i++ {
		a, b, ok := listen(rx.Mode, w, i)
		if !ok {
			return
		}
		if tx.AdvOff <= 0 {
			if !run(tx.AdvPhase, 0, iv, math.Ceil((a-tx.AdvPhase)/iv), math.Ceil((b-tx.AdvPhase)/iv)) {
				return
			}
			continue
		}
		cycle := tx.AdvOn + tx.AdvOff
		for c := math.Floor((a - tx.AdvCyclePhase) / cycle); ; c++ {
			cs := tx.AdvCyclePhase + c*cycle
			if cs >= b {
				break
			}
			lo, hi := max(a, cs), min(b, cs+tx.AdvOn)
			if !(hi > lo) {
				continue
			}
			first := cs + tx.AdvPhase
			if !run(first, c*perCycle, iv, max(0, math.Ceil((lo-first)/iv)), max(0, math.Ceil((hi-first)/iv))) {
				return
			}
		}
	}
}

// fadeOf returns the fading of the packet with ordinal o, keeping the
// last 64-bit draw: consecutive packets mostly share one.
func (s *recState) fadeOf(o uint64) float64 {
	g := o / packetsPerDraw
	if g != s.lastG {
		s.lastG, s.lastX = g, s.fs.at(g)
	}
	if v := (s.lastX >> (tableBits * (o - g*packetsPerDraw))) & cellMask; v != 0 {
		return s.fade.mid[v]
	}
	return fadeAt(s.fs, s.fade, o)
}

// recScan is the state of records' packet walk.
type recScan struct {
	recState
	out []Record
}

// run walks the events first + k·iv, k in [k0, k1), with ordinals
// ordinal(obase + k), exactly as scan's loops number them.
func (s *recScan) run(first, obase, iv, k0, k1 float64) bool {
	sens := s.m.sens
	for k := k0; k < k1; k++ {
		t := first + k*iv
		if t < s.nextRec {
			// Jump to the first k with first + k·iv >= nextRec. The event
			// times are non-decreasing in k, so correcting the estimate
			// with the loop's own comparison finds exactly that k.
			kj := math.Min(math.Max(math.Ceil((s.nextRec-first)/iv), k+1), k1)
			for kj > k+1 && first+(kj-1)*iv >= s.nextRec {
				kj--
			}
			for kj < k1 && first+kj*iv < s.nextRec {
				kj++
			}
			if kj >= k1 {
				return true
			}
			k = kj
			t = first + k*iv
		}
		o := ordinal(obase + k)
		r := s.mu + s.ch[(s.c0+o)%3] + s.fadeOf(o)
		if !(r > sens) {
			continue
		}
		s.out = append(s.out, Record{T: t, RSSI: float32(r)})
		s.nextRec = t + s.recS
	}
	return true
}

// Packet draws. Each advertising event inside the scanner's listening time
// is one packet: a scanner listens on one advertising channel at a time,
// so it hears at most one of the event's three copies; it steps through
// channels 37, 38, 39 from event to event, starting at a channel drawn
// per window. The packet's fading is a 12-bit cell of the fading table,
// and one 64-bit draw of the window's stream serves five consecutive
// events of the advertiser; events are numbered by their ordinal in the
// advertiser's timetable, so any subset of packets (Records skips some)
// sees the same values as the full loop.
const (
	packetsPerDraw = 5
	cellMask       = tableSize - 1
	// fastMax is the most packets the summary-only fast path takes.
	fastMax = 64
)

// ordinal numbers event k of an advertiser's timetable. The offset keeps
// ordinals of events before time zero positive, so groups of five never
// straddle a wrap-around and every path groups packets the same way.
func ordinal(k float64) uint64 { return uint64(int64(k) + 1<<62) }

// fadeAt returns the fading of the packet with ordinal o.
func fadeAt(fs stream, fade *fadeTable, o uint64) float64 {
	v := (fs.at(o/packetsPerDraw) >> (tableBits * (o % packetsPerDraw))) & cellMask
	if v != 0 {
		return fade.mid[v]
	}
	return fade.tail(unit(stream(uint64(fs) ^ 0x7461696c).at(o)))
}

// scan is the per-packet loop behind Scan, ScanInto and Records.
func (m *Model) scan(l *Link, w ScanWindow, key *StreamKey, buf []float32, rec *[]Record, lastRec float64) (ScanReport, int) {
	tx, rx := l.Tx.Sched, l.Rx.Sched
	if tx == nil {
		tx = &m.defSched
	}
	if rx == nil {
		rx = &m.defSched
	}
	if !tx.valid() || !clampWindow(&w) {
		return ScanReport{Calibrated: l.Tx.Calibrated && l.Rx.Calibrated}, 0
	}
	base := hash2(key.Seed, key.Pair)
	e := &m.env[l.Env%numEnvironments]
	var d scanDraws
	d.mu, d.ch = m.poseAt(m.MeanRSSI(l), e.sigmaSlow, base, key.Pose)
	d.fade, d.wk = e.fade, subKey(base, subFade, key.Window)
	d.blocked, d.corr, d.calibrated = m.iosBlocked(l, base, key.Window), Correction(l.Tx, l.Rx), l.Tx.Calibrated && l.Rx.Calibrated
	return m.scanPackets(tx, rx, w, &d, buf, rec, lastRec)
}

// scanDraws is what scanPackets reads of a link and its window: the pose
// (mu, ch), the fading table and the window's fading key wk, the iOS
// background rule's verdict, and the calibration correction.
type scanDraws struct {
	mu         float64
	ch         [3]float64
	fade       *fadeTable
	wk         uint64
	blocked    bool
	corr       float64
	calibrated bool
}

// scanPackets is scan's packet loop over a valid schedule tx and a
// clamped window w, for Model.scan and PreparedLink.Scan alike.
func (m *Model) scanPackets(tx, rx *Schedule, w ScanWindow, d *scanDraws, buf []float32, rec *[]Record, lastRec float64) (ScanReport, int) {
	rep := ScanReport{Calibrated: d.calibrated}
	mu, ch, fade, wk := d.mu, d.ch, d.fade, d.wk
	fs := stream(wk)
	c0 := wk % 3
	sens := m.sens
	minR, maxR, sum := math.Inf(1), math.Inf(-1), 0.0
	iv := tx.AdvInterval

	if buf == nil && rec == nil && tx.AdvOff <= 0 && rx.Mode == LowLatency && !d.blocked {
		// Fast path, the common case (GAEN: one listening segment,
		// continuous advertising, summary only): the same packets as the
		// general loop below, with one draw per five packets.
		k0 := math.Ceil((w.Start - tx.AdvPhase) / iv)
		k1 := math.Ceil((w.End - tx.AdvPhase) / iv)
		if !(k1 > k0) {
			return rep, 0
		}
		o, end := ordinal(k0), ordinal(k1)
		rep.Events = int32(end - o)
		if n := int(end - o); n <= fastMax {
			// The summary follows from the packets' fading cells: the
			// table increases with the cell, so the strongest and weakest
			// packet of a channel are its largest and smallest cells, and
			// all of a channel's packets clear sensitivity if its weakest
			// does. Packet j is on channel (c0+o+j) mod 3, so packets
			// three apart share a channel and the loop keeps one integer
			// min and max per position: no float compare, no branch. A
			// deep fade (cell 0) or a lost packet sends the window to the
			// packet loop below, which gives the same result.
			// Whole draws are unpacked five cells at a time; the window's
			// packets are all[r : r+n], r being the first one's place in
			// its draw.
			var all [fastMax + 2*packetsPerDraw]uint16
			g := o / packetsPerDraw
			r := int(o - g*packetsPerDraw)
			for i := 0; i < r+n; i += packetsPerDraw {
				x := fs.at(g)
				g++
				all[i] = uint16(x & cellMask)
				all[i+1] = uint16(x >> tableBits & cellMask)
				all[i+2] = uint16(x >> (2 * tableBits) & cellMask)
				all[i+3] = uint16(x >> (3 * tableBits) & cellMask)
				all[i+4] = uint16(x >> (4 * tableBits) & cellMask)
			}
			cells := all[r : r+n]
			lo := [3]uint16{cellMask, cellMask, cellMask}
			var hi [3]uint16
			var sumF float64
			for j := 0; j+3 <= n; j += 3 {
				a, b, c := cells[j], cells[j+1], cells[j+2]
				lo[0], hi[0] = min(lo[0], a), max(hi[0], a)
				lo[1], hi[1] = min(lo[1], b), max(hi[1], b)
				lo[2], hi[2] = min(lo[2], c), max(hi[2], c)
				sumF += fade.mid[a] + fade.mid[b] + fade.mid[c]
			}
			var cnt [3]int
			for p := range 3 {
				cnt[p] = (n - p + 2) / 3
			}
			for j := n - n%3; j < n; j++ {
				p := j - (n - n%3)
				lo[p], hi[p] = min(lo[p], cells[j]), max(hi[p], cells[j])
				sumF += fade.mid[cells[j]]
			}
			if lo[0] != 0 && lo[1] != 0 && lo[2] != 0 {
				c := int((c0 + o) % 3)
				sum = float64(n)*mu + sumF
				ok := true
				for p := range 3 {
					if cnt[p] == 0 {
						continue
					}
					cp := mu + ch[(c+p)%3]
					sum += float64(cnt[p]) * (cp - mu)
					weakest := cp + fade.mid[lo[p]]
					ok = ok && weakest > sens
					minR = min(minR, weakest)
					maxR = max(maxR, cp+fade.mid[hi[p]])
				}
				if ok {
					rep.Received = int32(n)
					return m.finish(d.corr, rep, minR, maxR, sum), 0
				}
				minR, maxR, sum = math.Inf(1), math.Inf(-1), 0
			}
		}
		c := (c0 + o) % 3
		var n int32
		for ; o < end; o++ {
			r := mu + ch[c] + fadeAt(fs, fade, o)
			if c++; c == 3 {
				c = 0
			}
			if r > sens {
				n++
				minR = min(minR, r)
				maxR = max(maxR, r)
				sum += r
			}
		}
		rep.Received = n
		return m.finish(d.corr, rep, minR, maxR, sum), 0
	}

	blocked := d.blocked
	nbuf := 0
	recS := m.p.BluezoneRecordS
	nextRec := math.Inf(-1)
	if rec != nil {
		nextRec = lastRec + recS
	}
	// packet handles the event at time t with ordinal o. Consecutive
	// packets mostly share a draw: keep the last one.
	lastG, lastX := ^uint64(0), uint64(0)
	packet := func(t float64, o uint64) {
		rep.Events++
		if blocked || t < nextRec {
			return
		}
		g := o / packetsPerDraw
		if g != lastG {
			lastG, lastX = g, fs.at(g)
		}
		var f float64
		if v := (lastX >> (tableBits * (o - g*packetsPerDraw))) & cellMask; v != 0 {
			f = fade.mid[v]
		} else {
			f = fadeAt(fs, fade, o)
		}
		r := mu + ch[(c0+o)%3] + f
		if !(r > sens) {
			return
		}
		rep.Received++
		if r < minR {
			minR = r
		}
		if r > maxR {
			maxR = r
		}
		sum += r
		if nbuf < len(buf) {
			buf[nbuf] = float32(r)
			nbuf++
		}
		if rec != nil {
			*rec = append(*rec, Record{T: t, RSSI: float32(r)})
			nextRec = t + recS
		}
	}

	// Ordinals of an on/off advertiser: perCycle per on period.
	perCycle := math.Floor(tx.AdvOn/iv) + 1
	for i := 0; ; i++ {
		a, b, ok := listen(rx.Mode, w, i)
		if !ok {
			break
		}
		if tx.AdvOff <= 0 {
			k0 := math.Ceil((a - tx.AdvPhase) / iv)
			k1 := math.Ceil((b - tx.AdvPhase) / iv)
			for k := k0; k < k1; k++ {
				packet(tx.AdvPhase+k*iv, ordinal(k))
			}
			continue
		}
		cycle := tx.AdvOn + tx.AdvOff
		for c := math.Floor((a - tx.AdvCyclePhase) / cycle); ; c++ {
			cs := tx.AdvCyclePhase + c*cycle
			if cs >= b {
				break
			}
			lo, hi := math.Max(a, cs), math.Min(b, cs+tx.AdvOn)
			if !(hi > lo) {
				continue
			}
			first := cs + tx.AdvPhase
			k0 := math.Max(0, math.Ceil((lo-first)/iv))
			k1 := math.Max(0, math.Ceil((hi-first)/iv))
			for k := k0; k < k1; k++ {
				packet(first+k*iv, ordinal(c*perCycle+k))
			}
		}
	}
	return m.finish(d.corr, rep, minR, maxR, sum), nbuf
}

// finish fills the summary fields of rep from the received packets'
// minimum, maximum and sum of RSSI; corr is the link's Correction.
func (m *Model) finish(corr float64, rep ScanReport, minR, maxR, sum float64) ScanReport {
	if rep.Received > 0 {
		mean := sum / float64(rep.Received)
		rep.MinRSSI, rep.MaxRSSI, rep.MeanRSSI = float32(minR), float32(maxR), float32(mean)
		rep.MinAttenDB = float32(floor0(m.txLevel - (maxR - corr)))
		rep.TypicalAttenDB = float32(floor0(m.txLevel - (mean - corr)))
	}
	return rep
}

// String describes the report in one line, for logs and examples.
func (r ScanReport) String() string {
	if r.Received == 0 {
		return fmt.Sprintf("events=%d received=0", r.Events)
	}
	return fmt.Sprintf("events=%d received=%d rssi min/mean/max=%.1f/%.1f/%.1f dBm atten min/typical=%.1f/%.1f dB",
		r.Events, r.Received, r.MinRSSI, r.MeanRSSI, r.MaxRSSI, r.MinAttenDB, r.TypicalAttenDB)
}

// floor0 is max(x, 0) without math.Max's NaN and signed-zero handling.
func floor0(x float64) float64 {
	if x > 0 {
		return x
	}
	return 0
}
