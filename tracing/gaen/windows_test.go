package gaen

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

func TestAttenuation(t *testing.T) {
	for _, tc := range []struct{ tx, rssi, corr, want int }{
		{8, -60, 0, 68},
		{8, -60, 5, 63},
		{-10, -70, -3, 63},
		{-20, -10, 0, 0}, // clamped
		{0, 0, 0, 0},
		{127, -127, 0, 254},
	} {
		if got := Attenuation(tc.tx, tc.rssi, tc.corr); got != tc.want {
			t.Errorf("Attenuation(%d, %d, %d) = %d, want %d", tc.tx, tc.rssi, tc.corr, got, tc.want)
		}
	}
}

func TestSecondsSinceLastScan(t *testing.T) {
	for _, tc := range []struct {
		gap  int64 // ms; -1 unknown
		want int
	}{
		{-1, 120}, {0, 0}, {29_000, 0}, {31_000, 60}, {210_000, 240}, {250_000, 240},
		{270_000, 300}, {300_000, 300}, {3_600_000, 300},
	} {
		prev := int64(1_000_000_000)
		if tc.gap < 0 {
			prev = -1 << 63
		}
		if got := secondsSince(prev, 1_000_000_000+max(tc.gap, 0)); got != tc.want {
			t.Errorf("gap %d ms: %d s, want %d", tc.gap, got, tc.want)
		}
	}
}

func TestObservationsFromAdverts(t *testing.T) {
	start := time.Date(2020, 10, 1, 9, 0, 0, 0, time.UTC)
	d, err := DeviceFromTEK(mustHex(t, vecTEK), start)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := NewMetadata(0x54, -12) // v1.1, confidence 1
	var store []tracing.Sighting
	for i, rssi := range []int8{-70, -80, -75} {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		id, aem, err := d.AdvertAt(at, md)
		if err != nil {
			t.Fatal(err)
		}
		store = append(store, tracing.Sighting{ID: id, Time: at.UnixMilli(), RSSI: rssi, Meta: aem})
	}
	keys, err := d.Upload(start, start)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := MatchKeys(nil, keys, store)
	if err != nil || len(ms) != 3 {
		t.Fatalf("%d matches, err %v", len(ms), err)
	}
	obs, err := Observations(keys, store, ms, 4)
	if err != nil {
		t.Fatal(err)
	}
	// attenuation = -12 - (rssi + 4)
	for i, want := range []int{54, 64, 59} {
		if obs[i].AttenuationDb != want || obs[i].CalibrationConfidence != 1 || obs[i].Time != store[i].Time {
			t.Errorf("observation %d = %+v, want attenuation %d", i, obs[i], want)
		}
	}
	ws, err := ExposureWindows(keys, store, ms, 4, WindowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].ReportType != ReportConfirmedTest || len(ws[0].ScanInstances) != 3 {
		t.Fatalf("windows %+v", ws)
	}
	// A sighting whose AEM is not from this key decrypts to junk.
	store[1].Meta = [4]byte{1, 2, 3, 4}
	if _, err := Observations(keys, store, ms, 0); !errors.Is(err, ErrBadMetadata) {
		t.Errorf("junk AEM: %v", err)
	}
	if _, err := Observations(keys, store, []tracing.Match{{Key: 5}}, 0); err == nil {
		t.Error("match outside keys accepted")
	}
}

func TestGroupWindows(t *testing.T) {
	day := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	at := func(min, sec int) int64 { return day + int64(min)*60_000 + int64(sec)*1000 }
	obs := []Observation{
		// key 1, given out of order: one scan at 23:50 and one at 00:02 next day.
		{Key: 1, Time: day + 24*3600_000 + 2*60_000, AttenuationDb: 40},
		{Key: 1, Time: day + 23*3600_000 + 50*60_000, AttenuationDb: 60},
		// key 0: scan at 10:00 hears 3 adverts, 10:04:10 one, 10:20 two,
		// 10:31 one (new window: >= 30 min after 10:00).
		{Key: 0, Time: at(600, 0), AttenuationDb: 50},
		{Key: 0, Time: at(600, 2), AttenuationDb: 55},
		{Key: 0, Time: at(600, 3), AttenuationDb: 52},
		{Key: 0, Time: at(604, 10), AttenuationDb: 61},
		{Key: 0, Time: at(620, 0), AttenuationDb: 70},
		{Key: 0, Time: at(620, 4), AttenuationDb: 71},
		{Key: 0, Time: at(631, 0), AttenuationDb: 45},
	}
	ws, err := GroupWindows(obs, WindowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []ExposureWindow{
		{Key: 0, DateMillis: day, ScanInstances: []ScanInstance{
			{50, 52, 120, at(600, 0)}, // 52.33 rounds to 52; previous scan unknown
			{61, 61, 240, at(604, 10)},
			{70, 71, 300, at(620, 0)}, // 70.5 rounds to 71; 16 min capped at 5
		}},
		{Key: 0, DateMillis: day, ScanInstances: []ScanInstance{{45, 45, 300, at(631, 0)}}},
		{Key: 1, DateMillis: day, ScanInstances: []ScanInstance{{60, 60, 120, at(1430, 0)}}},
		{Key: 1, DateMillis: day + 86400_000, ScanInstances: []ScanInstance{{40, 40, 300, at(1442, 0)}}},
	}
	if !reflect.DeepEqual(ws, want) {
		t.Errorf("windows\n got %+v\nwant %+v", ws, want)
	}
	// With the phone's scan log, the previous scan is the phone's.
	ws, err = GroupWindows(obs[2:6], WindowOptions{ScanTimes: []int64{at(596, 0), at(600, 0), at(602, 30), at(604, 9)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{ws[0].ScanInstances[0].SecondsSinceLastScan, ws[0].ScanInstances[1].SecondsSinceLastScan}; got[0] != 240 || got[1] != 120 {
		t.Errorf("seconds since last scan with scan log = %v, want [240 120]", got)
	}
	if _, err := GroupWindows(obs, WindowOptions{ScanTimes: []int64{2, 1}}); err == nil {
		t.Error("unsorted scan times accepted")
	}
	if _, err := GroupWindows(obs, WindowOptions{ScanSpanMillis: -1}); err == nil {
		t.Error("negative scan span accepted")
	}
}
