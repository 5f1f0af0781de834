package privacy

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("the defaults are invalid: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Params)
		want string
	}{
		{"offset", func(p *Params) { p.UTCOffsetMinutes = 15 * 60 }, "utc_offset_minutes: want -840 to 840"},
		{"visit gap", func(p *Params) { p.Link.VisitGapS = 0 }, "link.visit_gap_s"},
		{"max gap NaN", func(p *Params) { p.Link.MaxGapS = math.NaN() }, "link.max_gap_s"},
		{"rssi delta", func(p *Params) { p.Link.MaxRSSIDeltaDB = -1 }, "link.max_rssi_delta_db"},
		{"long track", func(p *Params) { p.Link.LongTrackMinutes = math.Inf(1) }, "link.long_track_minutes"},
		{"edge samples", func(p *Params) { p.Link.EdgeSamples = 0 }, "link.edge_samples: want 1 to 1000 sightings, got 0"},
		{"candidates", func(p *Params) { p.Link.Candidates = 0 }, "link.candidates"},
		{"min sightings", func(p *Params) { p.Trace.MinSightings = 0 }, "trace.min_sightings: want at least 1, got 0"},
		{"night from", func(p *Params) { p.Trace.NightFromHour = 24 }, "trace.night_from_hour: want an hour of the day"},
		{"night to", func(p *Params) { p.Trace.NightToHour = -1 }, "trace.night_to_hour"},
		{"empty night", func(p *Params) { p.Trace.NightFromHour, p.Trace.NightToHour = 3, 3 }, "the night is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.mod(&p)
			if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestLocalClock: the night window and calendar days are on the local
// clock (Vietnam, UTC+7, by default).
func TestLocalClock(t *testing.T) {
	p := DefaultParams()
	utc := func(h, m int) int64 { return time.Date(2020, 8, 3, h, m, 0, 0, time.UTC).UnixMilli() }
	for _, tc := range []struct {
		h, m      int
		night     bool
		localDate string
	}{
		{13, 59, false, "2020-08-03"}, // 20:59 local
		{14, 0, true, "2020-08-03"},   // 21:00 local
		{16, 59, true, "2020-08-03"},  // 23:59 local
		{17, 0, true, "2020-08-04"},   // 00:00 local
		{22, 59, true, "2020-08-04"},  // 05:59 local
		{23, 0, false, "2020-08-04"},  // 06:00 local
	} {
		at := utc(tc.h, tc.m)
		if got := p.night(at); got != tc.night {
			t.Errorf("%02d:%02d UTC: night %v, want %v", tc.h, tc.m, got, tc.night)
		}
		if got := time.UnixMilli(p.localDay(at) * dayMs).UTC().Format(time.DateOnly); got != tc.localDate {
			t.Errorf("%02d:%02d UTC: local day %s, want %s", tc.h, tc.m, got, tc.localDate)
		}
	}
	// A night that does not wrap midnight.
	p.Trace.NightFromHour, p.Trace.NightToHour = 1, 5
	p.UTCOffsetMinutes = 0
	if !p.night(utc(3, 0)) || p.night(utc(5, 0)) || p.night(utc(0, 59)) {
		t.Error("a 01:00-05:00 night is wrong")
	}
	if floorDiv(-1, dayMs) != -1 || floorDiv(dayMs, dayMs) != 1 {
		t.Error("floorDiv rounds towards zero")
	}
}
