package privacy

import (
	"fmt"
	"math"
)

// Params are the attacks' thresholds. Start from DefaultParams; each field
// says where its default comes from.
type Params struct {
	// UTCOffsetMinutes is the local clock's offset from UTC, for the night
	// window and for calendar days: 420 in Vietnam (Indochina Time,
	// UTC+7, no daylight saving). A simulator whose daily schedules are
	// laid on the UTC clock (minute m of a day at UTC midnight + m) should
	// pass 0.
	UTCOffsetMinutes int `json:"utc_offset_minutes" yaml:"utc_offset_minutes"`
	// Link configures the linking attack.
	Link LinkParams `json:"link" yaml:"link"`
	// Trace configures diagnosed-user tracing.
	Trace TraceParams `json:"trace" yaml:"trace"`
}

// LinkParams are the linking attack's thresholds (see Link).
type LinkParams struct {
	// VisitGapS: sightings of one ID at one sniffer at most this far
	// apart belong to one visit. 60 s: six of the default 10-s windows,
	// enough to bridge the windows a moving or shadowed phone misses.
	VisitGapS float64 `json:"visit_gap_s" yaml:"visit_gap_s"`
	// MaxGapS is the longest silence between the last sighting of an ID
	// that stops and the first of one that starts for the two to be
	// linked. GAEN changes its MAC address and RPI together and the next
	// advertisement follows within an advertising interval (protocols.md
	// §2.2: 200-270 ms), so a continuously listening sniffer sees the
	// switch within one window; 30 s allows two missed 10-s windows. With
	// a duty-cycled ScanSchedule, raise it above the scan period.
	MaxGapS float64 `json:"max_gap_s" yaml:"max_gap_s"`
	// MaxRSSIDeltaDB is the largest difference between the mean RSSI of
	// the last sightings of the stopping ID and of the first sightings of
	// the starting one. The phone has not moved in the few seconds of the
	// switch, so the difference is the spread of a window's strongest
	// packet: channel offsets and fast fading (radio.md §5:
	// sigma_channel_db 3.3 dB, rician_K_db 5, a per-packet SD of 4-6 dB in
	// all), of which the strongest of a window's packets keeps less; 8 dB
	// is about two of those standard deviations.
	MaxRSSIDeltaDB float64 `json:"max_rssi_delta_db" yaml:"max_rssi_delta_db"`
	// EdgeSamples is how many sightings at each end of a visit are
	// averaged for the RSSI comparison: 3.
	EdgeSamples int `json:"edge_samples" yaml:"edge_samples"`
	// Candidates is how many of the cheapest successors of each stopping
	// ID the assignment considers: 4. It bounds the attack's memory in a
	// crowd where every phone rotates at the same instant.
	Candidates int `json:"candidates" yaml:"candidates"`
	// AlignedRotation says the adversary knows the rotation grid: every
	// phone of the protocol changes ID at the multiples of its rotation
	// period counted from the Unix epoch (Bluezone's slots and DP-3T's
	// epochs from UTC midnight, GAEN's ENIntervalNumber), so a link must
	// straddle one of those instants. Default true.
	AlignedRotation bool `json:"aligned_rotation" yaml:"aligned_rotation"`
	// LongTrackMinutes is what counts as a long track for the
	// linked-time share: 60 minutes (the "tracks of >= 1 h").
	LongTrackMinutes float64 `json:"long_track_minutes" yaml:"long_track_minutes"`
}

// TraceParams configure diagnosed-user tracing (see Trace).
type TraceParams struct {
	// MinSightings is how many sightings of a published key's IDs make
	// its holder's movements "reconstructed": 5, about a minute of
	// presence at a sniffer with the default 10-s windows, or five
	// sniffers passed.
	MinSightings int `json:"min_sightings" yaml:"min_sightings"`
	// NightFromHour and NightToHour bound the night on the local clock,
	// [from, to) wrapping past midnight: 21 to 6, when the Vietnamese
	// town's schedules have everyone at home (agents.Stays: back from the
	// evening visit to the neighbours by 21:00, no market trip before
	// 06:00).
	NightFromHour float64 `json:"night_from_hour" yaml:"night_from_hour"`
	NightToHour   float64 `json:"night_to_hour" yaml:"night_to_hour"`
	// HomeRadiusM is how close the attack's home sniffer must stand to
	// the uploader's real home for the home to count as identified: 100
	// m, a city block, two rows of tube houses. "The sniffer nearest the
	// home" alone would let a network of one sniffer identify every home
	// it heard at night however far away, and would split by chance two
	// sniffers 45 and 49 m from the house.
	HomeRadiusM float64 `json:"home_radius_m" yaml:"home_radius_m"`
}

// DefaultParams returns the defaults documented on each field.
func DefaultParams() Params {
	return Params{
		UTCOffsetMinutes: 7 * 60,
		Link: LinkParams{
			VisitGapS:        60,
			MaxGapS:          30,
			MaxRSSIDeltaDB:   8,
			EdgeSamples:      3,
			Candidates:       4,
			AlignedRotation:  true,
			LongTrackMinutes: 60,
		},
		Trace: TraceParams{MinSightings: 5, NightFromHour: 21, NightToHour: 6, HomeRadiusM: 100},
	}
}

// Validate reports the first parameter out of range, by its key.
func (p Params) Validate() error {
	pos := func(key string, v, hi float64) error {
		if !(v > 0 && v <= hi) {
			return fmt.Errorf("%s: want a value above 0 and at most %v, got %v", key, hi, v)
		}
		return nil
	}
	hour := func(key string, v float64) error {
		if !(v >= 0 && v < 24) {
			return fmt.Errorf("%s: want an hour of the day, 0 to 24 (exclusive), got %v", key, v)
		}
		return nil
	}
	l, t := p.Link, p.Trace
	for _, err := range []error{
		func() error {
			if p.UTCOffsetMinutes < -14*60 || p.UTCOffsetMinutes > 14*60 {
				return fmt.Errorf("utc_offset_minutes: want -840 to 840 (UTC-14 to UTC+14), got %d", p.UTCOffsetMinutes)
			}
			return nil
		}(),
		pos("link.visit_gap_s", l.VisitGapS, 86400),
		pos("link.max_gap_s", l.MaxGapS, 86400),
		pos("link.max_rssi_delta_db", l.MaxRSSIDeltaDB, 255),
		pos("link.long_track_minutes", l.LongTrackMinutes, 366*1440),
		pos("trace.home_radius_m", t.HomeRadiusM, 1e6),
		func() error {
			switch {
			case l.EdgeSamples < 1 || l.EdgeSamples > 1000:
				return fmt.Errorf("link.edge_samples: want 1 to 1000 sightings, got %d", l.EdgeSamples)
			case l.Candidates < 1 || l.Candidates > 1000:
				return fmt.Errorf("link.candidates: want 1 to 1000, got %d", l.Candidates)
			case t.MinSightings < 1:
				return fmt.Errorf("trace.min_sightings: want at least 1, got %d", t.MinSightings)
			}
			return nil
		}(),
		hour("trace.night_from_hour", t.NightFromHour),
		hour("trace.night_to_hour", t.NightToHour),
		func() error {
			if t.NightFromHour == t.NightToHour {
				return fmt.Errorf("trace.night_to_hour: the night is empty: from and to are both %v", t.NightToHour)
			}
			return nil
		}(),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

const dayMs = 86_400_000

func msOf(s float64) int64 { return int64(math.Round(s * 1000)) }

// localDay is the local calendar day of Unix ms t.
func (p *Params) localDay(t int64) int64 {
	return floorDiv(t+int64(p.UTCOffsetMinutes)*60_000, dayMs)
}

// night reports whether Unix ms t falls in the local night.
func (p *Params) night(t int64) bool {
	ms := t + int64(p.UTCOffsetMinutes)*60_000
	tod := ms - floorDiv(ms, dayMs)*dayMs
	from, to := int64(math.Round(p.Trace.NightFromHour*3_600_000)), int64(math.Round(p.Trace.NightToHour*3_600_000))
	if from < to {
		return tod >= from && tod < to
	}
	return tod >= from || tod < to
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
