package privacy

import (
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// hm is hour:minute of 3 August 2020, UTC, in Unix ms.
func hm(h, m int) int64 { return t0 + int64(h*60+m)*60_000 }

func lineSniffers(n int) []Sniffer {
	sn := make([]Sniffer, n)
	for i := range sn {
		sn[i] = Sniffer{ID: uint32(i), Kind: BusStop, Pos: Point{float64(100 * i), 0}, Scan: DefaultScanSchedule()}
	}
	return sn
}

func gaenPhone(t testing.TB, seed byte) *gaen.Device {
	t.Helper()
	var tek gaen.TEK
	tek[0], tek[15] = seed, 0x5a
	d, err := gaen.DeviceFromTEK(tek[:], time.UnixMilli(t0))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func v1Phone(t testing.TB, id string) tracing.Device {
	t.Helper()
	d, err := bluezone.V1DeviceFromID([]byte(id), time.UnixMilli(t0-dayMs))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// stay appends the records of dev heard at sniffer s in every 10-s window
// of [from, to), at rssi.
func stay(t testing.TB, recs []Record, s int, dev tracing.Device, from, to int64, rssi int8) []Record {
	t.Helper()
	for at := from; at < to; at += 10_000 {
		id, err := dev.IDAt(time.UnixMilli(at))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, Record{Sniffer: uint32(s), Time: at, ID: id, RSSI: rssi})
	}
	return recs
}

func idAt(t testing.TB, dev tracing.Device, at int64) tracing.ID {
	t.Helper()
	id, err := dev.IDAt(time.UnixMilli(at))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestLinkRotations(t *testing.T) {
	a, b, c := gaenPhone(t, 1), gaenPhone(t, 2), gaenPhone(t, 3)
	info := gaen.Protocol{}.Info()
	unaligned := DefaultParams()
	unaligned.Link.AlignedRotation = false
	for _, tc := range []struct {
		name    string
		recs    func() []Record
		params  Params
		bridges int
		tracks  int
		long    int64
	}{
		{"a phone rotates in front of a sniffer", func() []Record {
			return stay(t, nil, 0, a, hm(9, 55), hm(10, 5), -70)
		}, DefaultParams(), 1, 1, 0},
		{"an hour in front of a sniffer", func() []Record {
			return stay(t, nil, 0, a, hm(9, 30), hm(10, 40), -70)
		}, DefaultParams(), 6, 1, 420},
		{"the signal jumps at the rotation", func() []Record {
			r := stay(t, nil, 0, a, hm(9, 55), hm(10, 0), -70)
			return stay(t, r, 0, a, hm(10, 0), hm(10, 5), -90)
		}, DefaultParams(), 0, 2, 0},
		{"a minute of silence at the rotation", func() []Record {
			r := stay(t, nil, 0, a, hm(9, 55), hm(10, 0), -70)
			return stay(t, r, 0, a, hm(10, 1), hm(10, 5), -70)
		}, DefaultParams(), 0, 2, 0},
		{"one phone leaves, another arrives, no rotation between", func() []Record {
			r := stay(t, nil, 0, a, hm(9, 51), hm(9, 53), -70)
			return stay(t, r, 0, b, hm(9, 53), hm(9, 56), -70)
		}, DefaultParams(), 0, 2, 0},
		{"the same without the rotation grid: a false bridge", func() []Record {
			r := stay(t, nil, 0, a, hm(9, 51), hm(9, 53), -70)
			return stay(t, r, 0, b, hm(9, 53), hm(9, 56), -70)
		}, unaligned, 1, 1, 0},
		{"two sniffers see the switch: one bridge", func() []Record {
			r := stay(t, nil, 0, a, hm(9, 55), hm(10, 5), -70)
			return stay(t, r, 1, a, hm(9, 55), hm(10, 5), -85)
		}, DefaultParams(), 1, 1, 0},
		{"a crowd rotates at once", func() []Record {
			var r []Record
			for i, p := range []struct {
				dev    tracing.Device
				s0, s1 int8
			}{{a, -60, -80}, {b, -70, -65}, {c, -85, -75}} {
				r = stay(t, r, 0, p.dev, hm(9, 50)+int64(i)*10_000, hm(10, 10), p.s0)
				r = stay(t, r, 1, p.dev, hm(9, 50), hm(10, 10)-int64(i)*10_000, p.s1)
			}
			return r
		}, DefaultParams(), 3, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sn := lineSniffers(2)
			l := buildLog(t, 2, 16, 0, tc.recs())
			ln, err := Link(l, sn, info, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if len(ln.Bridges) != tc.bridges || len(ln.Tracks) != tc.tracks || ln.LongRecords != tc.long {
				t.Fatalf("%d bridges, %d tracks, %d long records; want %d, %d, %d (bridges %+v)",
					len(ln.Bridges), len(ln.Tracks), ln.LongRecords, tc.bridges, tc.tracks, tc.long, ln.Bridges)
			}
			if ln.Records != int64(l.Len()) || ln.MultiDayRecords != 0 {
				t.Fatalf("records %d, multi-day %d", ln.Records, ln.MultiDayRecords)
			}
			// Every bridge in these worlds but the unaligned one joins two
			// IDs of one phone, and each track's IDs are in its time span.
			for _, br := range ln.Bridges {
				if tc.params.Link.AlignedRotation && owner(t, l, br.From, a, b, c) != owner(t, l, br.To, a, b, c) {
					t.Errorf("bridge %+v joins two phones", br)
				}
				if br.GapMs < 0 || br.GapMs > 30_000 || br.DeltaDB > 8 || br.Shared < 1 {
					t.Errorf("bridge %+v out of its thresholds", br)
				}
			}
			var recs int
			for _, tr := range ln.Tracks {
				recs += tr.Records
				if tr.End <= tr.First || tr.IDs < 1 {
					t.Errorf("track %+v", tr)
				}
			}
			if recs != l.Len() {
				t.Errorf("the tracks hold %d records, the log %d", recs, l.Len())
			}
		})
	}
}

// owner says which of the phones broadcast entry k.
func owner(t testing.TB, l *Log, k int, devs ...*gaen.Device) int {
	t.Helper()
	id, _ := l.Entry(k)
	for i, d := range devs {
		for at := hm(9, 0); at < hm(11, 0); at += 600_000 {
			if idAt(t, d, at) == id {
				return i
			}
		}
	}
	t.Fatalf("entry %d belongs to no phone", k)
	return -1
}

// TestLinkStaticIDs: a static ID is one identity across sniffers and
// days, with no bridge needed, and two static IDs are never bridged.
func TestLinkStaticIDs(t *testing.T) {
	x, y := v1Phone(t, "Xx1234"), v1Phone(t, "Yy5678")
	info := bluezone.NewV1().Info()
	// 08:00 and 18:00 local (UTC+7).
	recs := stay(t, nil, 0, x, hm(1, 0), hm(1, 5), -70)
	recs = stay(t, recs, 2, x, hm(11, 0), hm(11, 5), -75)
	recs = stay(t, recs, 1, y, hm(1, 0), hm(1, 5), -60)
	// x stops and y starts at the same sniffer, same signal.
	recs = stay(t, recs, 1, x, hm(2, 55), hm(3, 0), -70)
	recs = stay(t, recs, 1, y, hm(3, 0), hm(3, 5), -70)
	ln, err := Link(buildLog(t, 3, 6, 0, recs), lineSniffers(3), info, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if len(ln.Bridges) != 0 || len(ln.Tracks) != 2 {
		t.Fatalf("%d bridges, %d tracks; want 0, 2", len(ln.Bridges), len(ln.Tracks))
	}
	xs := ln.Tracks[ln.TrackOf(0)] // "Xx1234" sorts first
	if xs.Records != 90 || xs.Minutes() < 605 || xs.Minutes() > 606 {
		t.Errorf("x's track %+v, want 90 records over 10 h 5 min", xs)
	}
	if ln.LongRecords != 90+60 || ln.MultiDayRecords != 0 {
		t.Errorf("long %d, multi-day %d; want 150, 0", ln.LongRecords, ln.MultiDayRecords)
	}
	// x comes back the next (local) day: its whole track is multi-day.
	recs = stay(t, recs, 0, x, hm(1, 0)+dayMs, hm(1, 5)+dayMs, -70)
	ln, err = Link(buildLog(t, 3, 6, 0, recs), lineSniffers(3), info, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if ln.MultiDayRecords != 120 {
		t.Errorf("multi-day records %d, want x's 120", ln.MultiDayRecords)
	}
	// x spans a day and 5 minutes, y 2 h 5 min.
	if m := ln.MeanTrackMinutes(); m != (1445+125)/2 {
		t.Errorf("mean track %v minutes, want 785", m)
	}
}

func TestLinkErrors(t *testing.T) {
	l := buildLog(t, 2, 16, 0, stay(t, nil, 0, gaenPhone(t, 1), hm(9, 0), hm(9, 1), -70))
	info := gaen.Protocol{}.Info()
	bad := DefaultParams()
	bad.Link.Candidates = 0
	badSniffers := lineSniffers(2)
	badSniffers[1].ID = 5
	for _, tc := range []struct {
		name     string
		log      *Log
		sniffers []Sniffer
		info     tracing.Info
		params   Params
		want     string
	}{
		{"no log", nil, lineSniffers(2), info, DefaultParams(), "no sniffer log"},
		{"sniffer count", l, lineSniffers(3), info, DefaultParams(), "the log is of 2 sniffers, the network has 3"},
		{"ID length", l, lineSniffers(2), bluezone.NewV1().Info(), DefaultParams(), "the log holds 16-byte IDs, protocol bluezone-v1 broadcasts 6-byte IDs"},
		{"params", l, lineSniffers(2), info, bad, "link.candidates"},
		{"sniffer numbering", l, badSniffers, info, DefaultParams(), "sniffers[1].id: want 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Link(tc.log, tc.sniffers, tc.info, tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Link = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	var empty *Linking
	if empty, _ = Link(buildLog(t, 1, 16, 0, nil), lineSniffers(1), info, DefaultParams()); len(empty.Tracks) != 0 || !isNaN(empty.MeanTrackMinutes()) {
		t.Errorf("an empty log links to %+v", empty)
	}
}

func isNaN(v float64) bool { return v != v }
