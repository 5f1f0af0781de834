package privacy

import (
	"fmt"
	"math"
	"strings"

	"github.com/bluesim/bluesim/radio"
)

// Point is a position on the town plane, in metres.
type Point struct {
	X float64 `json:"x" yaml:"x"`
	Y float64 `json:"y" yaml:"y"`
}

// Dist is the distance between p and q in metres.
func (p Point) Dist(q Point) float64 { return math.Hypot(p.X-q.X, p.Y-q.Y) }

// PlaceKind is the kind of place a sniffer is put at.
type PlaceKind uint8

// Place kinds. Markets, bus stops and school gates are places most people
// pass through every day, where a sniffer hears the most phones; Venue is
// any other public place (a café, a workplace entrance); Grid is a point of
// a regular lattice over the town, the "sniffers everywhere" case.
const (
	Market PlaceKind = iota
	BusStop
	SchoolGate
	Venue
	Grid
	numPlaceKinds
)

var placeKindNames = [...]string{"market", "bus_stop", "school_gate", "venue", "grid"}

func (k PlaceKind) String() string {
	if int(k) < len(placeKindNames) {
		return placeKindNames[k]
	}
	return fmt.Sprintf("PlaceKind(%d)", k)
}

// PlaceKinds lists every place kind in order.
func PlaceKinds() []PlaceKind { return []PlaceKind{Market, BusStop, SchoolGate, Venue, Grid} }

// ParsePlaceKind parses "market", "bus_stop", "school_gate", "venue" or "grid".
func ParsePlaceKind(s string) (PlaceKind, error) {
	for i, n := range placeKindNames {
		if s == n {
			return PlaceKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown place kind %q (want one of %s)", s, strings.Join(placeKindNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler (YAML, JSON).
func (k PlaceKind) MarshalText() ([]byte, error) {
	if k >= numPlaceKinds {
		return nil, fmt.Errorf("privacy: invalid place kind %d", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (YAML, JSON).
func (k *PlaceKind) UnmarshalText(b []byte) error {
	v, err := ParsePlaceKind(string(b))
	if err == nil {
		*k = v
	}
	return err
}

// ScanSchedule is when a sniffer listens: windows of WindowS seconds every
// PeriodS seconds on the simulation clock, the first at 0. WindowS equal to
// PeriodS is continuous listening cut into windows. A sniffer logs at most
// one record per broadcast ID and window, with the strongest packet's RSSI,
// the way a scanning app reports batched results; a window is the unit of
// sniffed time.
type ScanSchedule struct {
	WindowS float64 `json:"window_s" yaml:"window_s"`
	PeriodS float64 `json:"period_s" yaml:"period_s"`
}

// DefaultScanSchedule listens all the time and logs in 10-second windows:
// a mains-powered sniffer (the Raspberry Pi receivers of Baumgärtner et
// al. 2020, "Mind the GAP", arXiv:2006.05914) has no reason to duty-cycle,
// and 10 s is short next to a 10-15 minute ID rotation while keeping one
// record per ID to at most 6 a minute (Bluezone's own phones keep one per
// 5 s, protocols.md §1.4).
func DefaultScanSchedule() ScanSchedule { return ScanSchedule{WindowS: 10, PeriodS: 10} }

// Validate checks s; field is prefixed to the keys it names.
func (s ScanSchedule) Validate(field string) error {
	switch {
	case !(s.WindowS >= 0.1) || s.WindowS > radio.MaxWindowS:
		return fmt.Errorf("%swindow_s: want 0.1 to %d seconds, got %v", field, radio.MaxWindowS, s.WindowS)
	case !(s.PeriodS >= s.WindowS) || s.PeriodS > radio.MaxWindowS:
		return fmt.Errorf("%speriod_s: want window_s (%v) to %d seconds, got %v", field, s.WindowS, radio.MaxWindowS, s.PeriodS)
	}
	return nil
}

// WindowMs is the window length in whole milliseconds (at least 1).
func (s ScanSchedule) WindowMs() int64 { return max(1, int64(math.Round(s.WindowS*1000))) }

// AppendWindows appends the sniffer's scan windows that start in [from, to)
// (seconds on the simulation clock) and returns the extended slice. Index k
// numbers the window starting at k*PeriodS, for radio.WindowKey.
func (s ScanSchedule) AppendWindows(buf []radio.ScanWindow, from, to float64) []radio.ScanWindow {
	sch := s.Radio()
	return sch.AppendWindows(buf, from, to, false)
}

// Radio is the schedule as the radio model's scanner schedule: listening in
// low-latency mode (all the time inside a window), no advertising, and not
// an iPhone (no iOS background rule).
func (s ScanSchedule) Radio() radio.Schedule {
	return radio.Schedule{
		Kind:       radio.GAENSchedule,
		Mode:       radio.LowLatency,
		ScanPeriod: s.PeriodS,
		ScanLen:    s.WindowS,
	}
}

// Sniffer is one passive BLE receiver of the adversary's network.
type Sniffer struct {
	// ID is the sniffer's number in the network, 0..n-1; log records name
	// it.
	ID uint32 `json:"id"`
	// Kind is the kind of place it stands at.
	Kind PlaceKind `json:"kind"`
	// Pos is where it stands on the town plane (metres).
	Pos Point `json:"pos"`
	// Place is the index of the candidate place it was put at (see Place),
	// or -1 for a grid point.
	Place int `json:"place"`
	// Scan is its listening schedule.
	Scan ScanSchedule `json:"scan"`
}

// Receiver is the sniffer as the scanning end of a radio.Link: a reference
// receiver (no device offsets, nothing carried, uncalibrated, never
// backgrounded) listening on sched, which must be s.Scan.Radio() and must
// outlive the returned Phone.
func (s Sniffer) Receiver(sched *radio.Schedule) radio.Phone {
	return radio.Phone{Sched: sched, OS: radio.Android, Carriage: radio.Hand, Foreground: true}
}

// checkSniffers validates a network: IDs 0..n-1 in order, finite
// positions, valid schedules.
func checkSniffers(sn []Sniffer) error {
	for i, s := range sn {
		if s.ID != uint32(i) {
			return fmt.Errorf("sniffers[%d].id: want %d (sniffers are numbered in order), got %d", i, i, s.ID)
		}
		if s.Kind >= numPlaceKinds {
			return fmt.Errorf("sniffers[%d].kind: invalid place kind %d", i, uint8(s.Kind))
		}
		if !finite(s.Pos.X) || !finite(s.Pos.Y) {
			return fmt.Errorf("sniffers[%d].pos: want a finite position, got (%v, %v)", i, s.Pos.X, s.Pos.Y)
		}
		if err := s.Scan.Validate(fmt.Sprintf("sniffers[%d].scan.", i)); err != nil {
			return err
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Nearest returns the index of the sniffer nearest to p (the lowest ID on a
// tie), or -1 if there are none.
func Nearest(sniffers []Sniffer, p Point) int {
	best, bd := -1, math.Inf(1)
	for i, s := range sniffers {
		if d := s.Pos.Dist(p); d < bd {
			best, bd = i, d
		}
	}
	return best
}
