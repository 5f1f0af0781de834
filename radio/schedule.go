package radio

import (
	"fmt"
	"iter"
	"math"
)

// Protocol is the contact-tracing protocol whose advertising and scanning
// schedule a phone follows.
type Protocol uint8

// Protocols with a modelled schedule.
const (
	GAEN Protocol = iota
	Bluezone
)

func (p Protocol) String() string {
	switch p {
	case GAEN:
		return "gaen"
	case Bluezone:
		return "bluezone"
	}
	return fmt.Sprintf("Protocol(%d)", p)
}

// ParseProtocol parses "gaen" or "bluezone".
func ParseProtocol(s string) (Protocol, error) {
	switch s {
	case "gaen":
		return GAEN, nil
	case "bluezone":
		return Bluezone, nil
	}
	return 0, fmt.Errorf("unknown protocol %q (want gaen or bluezone)", s)
}

// ScheduleKind is a (protocol, platform) advertising and scanning pattern.
type ScheduleKind uint8

// Schedule kinds.
const (
	// GAENSchedule: advertise every 200–270 ms (per phone), scan 4 s every
	// 210–300 s (per phone, random phase). Same on Android and iOS, as the
	// OS runs it (radio.md §2.1, §2.2; protocols.md §2.2).
	GAENSchedule ScheduleKind = iota
	// BluezoneAndroid: advertise 15 s on / 15 s off every 100 ms; scan
	// 40 s per 300 s in the background, 150 s on / 5 s off in the
	// foreground, in the configured Android scan mode (protocols.md §1.3).
	BluezoneAndroid
	// BluezoneIOS: advertise and scan continuously while the OS allows
	// (protocols.md §1.3); a backgrounded iPhone is found by another
	// backgrounded iPhone only with probability ios_bg_bg_detect_prob
	// (radio.md §2.4).
	BluezoneIOS
)

func (k ScheduleKind) String() string {
	switch k {
	case GAENSchedule:
		return "gaen"
	case BluezoneAndroid:
		return "bluezone-android"
	case BluezoneIOS:
		return "bluezone-ios"
	}
	return fmt.Sprintf("ScheduleKind(%d)", k)
}

// KindFor returns the schedule kind of a protocol on an OS.
func KindFor(p Protocol, os OS) ScheduleKind {
	if p == Bluezone {
		if os == IOS {
			return BluezoneIOS
		}
		return BluezoneAndroid
	}
	return GAENSchedule
}

// Calibrated reports whether links of protocol p use GAEN's per-model
// calibration under params p (GAEN: yes; Bluezone advertises no TX power).
func (p Params) Calibrated(proto Protocol) bool {
	if proto == Bluezone {
		return p.BluezoneCalibrated
	}
	return p.GAENCalibrated
}

// Schedule is one phone's advertising and scanning timetable, with its
// per-phone random interval, period and phases already drawn. All times
// are in seconds on the simulation clock. It is a small value: keep one
// per phone in a slice.
type Schedule struct {
	Kind ScheduleKind
	// Mode is the Android scan mode that sets the listening duty inside a
	// scan window (LowLatency listens all the time).
	Mode ScanMode
	// AdvInterval is the time between advertising events; AdvPhase in
	// [0, AdvInterval) the offset of the first event (of each on period).
	AdvInterval, AdvPhase float64
	// AdvOn and AdvOff are the advertising duty cycle (AdvOff 0:
	// continuous); on periods start at AdvCyclePhase + k·(AdvOn+AdvOff).
	AdvOn, AdvOff, AdvCyclePhase float64
	// Background scanning: windows of ScanLen every ScanPeriod starting at
	// ScanPhase + k·ScanPeriod. ScanLen == ScanPeriod means continuous
	// scanning, cut into windows of ScanLen.
	ScanPeriod, ScanLen, ScanPhase float64
	// Foreground scanning (Bluezone Android "full" mode): FgOn on, FgOff
	// off, starting at FgPhase + k·(FgOn+FgOff). FgOn 0: same as background.
	FgOn, FgOff, FgPhase float64
}

// NewSchedule draws the schedule of one phone of kind k. phoneKey must be
// unique per phone and run (for example Hash(seed, phoneID)); the draws
// are a pure function of it.
func (m *Model) NewSchedule(k ScheduleKind, phoneKey uint64) Schedule {
	p := &m.p
	s := stream(hash4(phoneKey, subSchedule, uint64(k), 0))
	u := func(j uint64) float64 { return unit(s.at(j)) }
	switch k {
	case BluezoneAndroid:
		iv := p.BluezoneAdvIntervalMs / 1000
		cycle := p.BluezoneAdvOnS + p.BluezoneAdvOffS
		bg := p.BluezoneBgScanOnS + p.BluezoneBgScanOffS
		fg := p.BluezoneFgOnS + p.BluezoneFgOffS
		bgLen, fgLen := p.BluezoneBgScanOnS, p.BluezoneFgOnS
		if p.AndroidScanTimeout {
			// After SCAN_TIMEOUT_MS the scan is downgraded to opportunistic,
			// which hears nothing unless another app scans (radio.md §2.3).
			limit := p.AndroidScanTimeoutMin * 60
			bgLen, fgLen = math.Min(bgLen, limit), math.Min(fgLen, limit)
		}
		return Schedule{
			Kind: k, Mode: m.scanMode,
			AdvInterval: iv, AdvPhase: u(0) * math.Min(iv, p.BluezoneAdvOnS),
			AdvOn: p.BluezoneAdvOnS, AdvOff: p.BluezoneAdvOffS, AdvCyclePhase: u(1) * cycle,
			ScanPeriod: bg, ScanLen: bgLen, ScanPhase: u(2) * bg,
			FgOn: fgLen, FgOff: fg - fgLen, FgPhase: u(3) * fg,
		}
	case BluezoneIOS:
		iv := p.AdvIntervalMs / 1000
		c := p.BluezoneIOSScanChunkS
		return Schedule{
			Kind: k, Mode: LowLatency,
			AdvInterval: iv, AdvPhase: u(0) * iv,
			ScanPeriod: c, ScanLen: c, ScanPhase: u(2) * c,
		}
	default:
		lo, hi := p.AdvIntervalMinMs/1000, p.AdvIntervalMaxMs/1000
		iv := lo + u(4)*(hi-lo)
		per := p.GAENScanPeriodMinS + u(5)*(p.GAENScanPeriodMaxS-p.GAENScanPeriodMinS)
		return Schedule{
			Kind: GAENSchedule, Mode: LowLatency,
			AdvInterval: iv, AdvPhase: u(0) * iv,
			ScanPeriod: per, ScanLen: p.GAENScanWindowS, ScanPhase: u(2) * per,
		}
	}
}

// ScanWindow is one scan of one phone: [Start, End) in seconds. Index
// numbers the phone's windows (foreground windows have bit 62 set), for
// WindowKey.
type ScanWindow struct {
	Start, End float64
	Index      int64
}

// Len is the window's length in seconds.
func (w ScanWindow) Len() float64 { return w.End - w.Start }

const fgIndexBit = 1 << 62

// AppendWindows appends to buf the phone's scan windows that start in
// [from, to) and returns the extended slice; with enough capacity it does
// not allocate. foreground selects Bluezone Android's full mode (ignored
// by the other kinds).
func (s *Schedule) AppendWindows(buf []ScanWindow, from, to float64, foreground bool) []ScanWindow {
	period, length, phase, bit := s.ScanPeriod, s.ScanLen, s.ScanPhase, int64(0)
	if foreground && s.FgOn > 0 {
		period, length, phase, bit = s.FgOn+s.FgOff, s.FgOn, s.FgPhase, fgIndexBit
	}
	if !(period > 0) || !(to > from) || !finite(period) || !finite(phase) || !finite(from) || !finite(to) {
		return buf
	}
	k := int64(math.Ceil((from - phase) / period))
	for {
		start := phase + float64(k)*period
		if start >= to {
			return buf
		}
		if start >= from {
			buf = append(buf, ScanWindow{Start: start, End: start + length, Index: k ^ bit})
		}
		k++
	}
}

// MaxWindowS is the longest scan window Scan and Events look at; a longer
// window is cut to it (no schedule scans a whole day without a break).
const MaxWindowS = 86400

// clampWindow cuts w to MaxWindowS and reports whether it is a finite,
// non-empty window.
func clampWindow(w *ScanWindow) bool {
	if !(w.End > w.Start) || math.IsInf(w.Start, 0) || math.IsInf(w.End, 0) {
		return false
	}
	if w.End-w.Start > MaxWindowS {
		w.End = w.Start + MaxWindowS
	}
	return true
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// valid reports whether the advertising part of s can be enumerated: a
// positive interval of at least 0.1 ms, finite phases, and a positive on
// time when advertising is duty-cycled. A hand-made invalid schedule
// advertises nothing rather than looping or panicking.
func (s *Schedule) valid() bool {
	if !(s.AdvInterval >= 1e-4) || !finite(s.AdvInterval) || !finite(s.AdvPhase) {
		return false
	}
	if s.AdvOff > 0 || !(s.AdvOff <= 0) {
		return finite(s.AdvOff) && s.AdvOn > 0 && finite(s.AdvOn) && finite(s.AdvCyclePhase)
	}
	return true
}

// Windows iterates over the same windows as AppendWindows, without a
// buffer.
func (s *Schedule) Windows(from, to float64, foreground bool) iter.Seq[ScanWindow] {
	return func(yield func(ScanWindow) bool) {
		var one [1]ScanWindow
		period := s.ScanPeriod
		if foreground && s.FgOn > 0 {
			period = s.FgOn + s.FgOff
		}
		if !(period > 0) || !finite(period) || !finite(from) || !finite(to) {
			return
		}
		// Step one period at a time so that each window comes from the
		// same code as AppendWindows.
		for a := from; a < to; a += period {
			b := math.Min(a+period, to)
			w := s.AppendWindows(one[:0], a, b, foreground)
			for _, x := range w {
				if !yield(x) {
					return
				}
			}
		}
	}
}

// nextEvent returns the time of the first advertising event at or after t.
func (s *Schedule) nextEvent(t float64) float64 {
	iv := s.AdvInterval
	if s.AdvOff <= 0 {
		return s.AdvPhase + math.Ceil((t-s.AdvPhase)/iv)*iv
	}
	cycle := s.AdvOn + s.AdvOff
	c := math.Floor((t - s.AdvCyclePhase) / cycle)
	for {
		cs := s.AdvCyclePhase + c*cycle
		first := cs + s.AdvPhase
		var e float64
		if t <= first {
			e = first
		} else {
			e = first + math.Ceil((t-first)/iv)*iv
		}
		if e < cs+s.AdvOn {
			return e
		}
		c++
	}
}

// eventsIn counts the advertising events in [a, b).
func (s *Schedule) eventsIn(a, b float64) int {
	if !(b > a) {
		return 0
	}
	iv := s.AdvInterval
	if s.AdvOff <= 0 {
		return int(math.Ceil((b-s.AdvPhase)/iv) - math.Ceil((a-s.AdvPhase)/iv))
	}
	cycle := s.AdvOn + s.AdvOff
	n := 0
	for c := math.Floor((a - s.AdvCyclePhase) / cycle); ; c++ {
		cs := s.AdvCyclePhase + c*cycle
		if cs >= b {
			return n
		}
		// Events of this on period: cs + AdvPhase + j·iv < cs + AdvOn.
		lo, hi := math.Max(a, cs), math.Min(b, cs+s.AdvOn)
		if hi > lo {
			first := cs + s.AdvPhase
			n += int(math.Max(0, math.Ceil((hi-first)/iv)) - math.Max(0, math.Ceil((lo-first)/iv)))
		}
	}
}

// listen returns the i-th listening segment of a scanner in scan mode
// mode inside window w, and false past the end.
func listen(mode ScanMode, w ScanWindow, i int) (a, b float64, ok bool) {
	win, iv := mode.WindowMs()/1000, mode.IntervalMs()/1000
	if win >= iv {
		return w.Start, w.End, i == 0 && w.End > w.Start
	}
	a = w.Start + float64(i)*iv
	if a >= w.End {
		return 0, 0, false
	}
	return a, math.Min(a+win, w.End), true
}

// defaultSchedule stands in for a phone without a schedule: continuous
// advertising at adv_interval_ms from time 0, continuous listening.
func (m *Model) defaultSchedule() *Schedule { return &m.defSched }

// Events returns how many advertising events of tx fall inside the
// listening time of the scanner rx during window w (radio.md §2.5: each
// event is one chance to be heard). A nil schedule means continuous
// advertising at adv_interval_ms and continuous listening.
func (m *Model) Events(tx, rx *Schedule, w ScanWindow) int {
	if tx == nil {
		tx = m.defaultSchedule()
	}
	if rx == nil {
		rx = m.defaultSchedule()
	}
	if !tx.valid() || !clampWindow(&w) {
		return 0
	}
	n := 0
	for i := 0; ; i++ {
		a, b, ok := listen(rx.Mode, w, i)
		if !ok {
			return n
		}
		n += tx.eventsIn(a, b)
	}
}

// RecordSlots returns the 5-second record slots of window w:
// Bluezone inserts a peer at most once per bluezone_record_s
// (protocols.md §1.4), so a window holds at most ceil(len/5) records.
func (m *Model) RecordSlots(w ScanWindow) int {
	return int(math.Ceil(w.Len() / m.p.BluezoneRecordS))
}
