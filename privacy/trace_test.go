package privacy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/gaen"
)

func upload(t testing.TB, dev tracing.Device, from, to int64) []tracing.PublishedKey {
	t.Helper()
	keys, err := dev.Upload(time.UnixMilli(from), time.UnixMilli(to))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestTraceGAEN(t *testing.T) {
	d, e := gaenPhone(t, 1), gaenPhone(t, 2)
	// d: 10:00-10:10 local at sniffer 1, 22:00-23:00 local at home by
	// sniffer 2; e at sniffer 2 at the same time.
	recs := stay(t, nil, 1, d, hm(3, 0), hm(3, 10), -80)
	recs = stay(t, recs, 2, d, hm(15, 0), hm(16, 0), -75)
	recs = stay(t, recs, 2, e, hm(15, 0), hm(16, 0), -75)
	// d's 03:00 RPI heard again (replayed) 1.5 h and 3 h later: GAEN's
	// matching window (±2 h of clock drift) takes the first only.
	replay := idAt(t, d, hm(3, 0))
	recs = append(recs, Record{Sniffer: 0, Time: hm(4, 30), ID: replay, RSSI: -90}, Record{Sniffer: 0, Time: hm(6, 0), ID: replay, RSSI: -90})
	l := buildLog(t, 3, 16, 0, recs)
	keys := upload(t, d, hm(0, 0), hm(23, 59))
	if len(keys) != 1 {
		t.Fatalf("%d keys, want the TEK of 3 August", len(keys))
	}
	tr, err := Trace(l, lineSniffers(3), gaen.Protocol{}, keys, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if tr.IDsRecomputed != 144 || len(tr.Keys) != 1 {
		t.Fatalf("%d IDs recomputed, %d key traces", tr.IDsRecomputed, len(tr.Keys))
	}
	kt := tr.Keys[0]
	want := []Stop{{1, hm(3, 0), hm(3, 10), 60}, {0, hm(4, 30), hm(4, 30) + 10_000, 1}, {2, hm(15, 0), hm(16, 0), 360}}
	if !slices.Equal(kt.Path, want) {
		t.Errorf("path %+v, want %+v", kt.Path, want)
	}
	if kt.Sightings != 421 || kt.IDs != 144 || kt.IDsHeard != 7 || !kt.Reconstructed {
		t.Errorf("sightings %d, IDs %d heard %d, reconstructed %v; want 421, 144, 7, true", kt.Sightings, kt.IDs, kt.IDsHeard, kt.Reconstructed)
	}
	if kt.First != hm(3, 0) || kt.End != hm(16, 0) || kt.Minutes() != 13*60 {
		t.Errorf("span %d..%d (%v min)", kt.First, kt.End, kt.Minutes())
	}
	if len(kt.Night) != 1 || kt.Night[0].Sniffer != 2 || kt.Night[0].Count != 360 || kt.Home != 2 {
		t.Errorf("night %v home %d; want sniffer 2's 360 sightings", kt.Night, kt.Home)
	}
	// More sightings needed than there are: not reconstructed.
	p := DefaultParams()
	p.Trace.MinSightings = 422
	tr, _ = Trace(l, lineSniffers(3), gaen.Protocol{}, keys, p)
	if tr.Keys[0].Reconstructed {
		t.Error("421 sightings count as reconstructed with min_sightings 422")
	}
	// No published key: nothing traced.
	tr, err = Trace(l, lineSniffers(3), gaen.Protocol{}, nil, DefaultParams())
	if err != nil || len(tr.Keys) != 0 || tr.IDsRecomputed != 0 {
		t.Errorf("no keys: %+v, %v", tr, err)
	}
}

// TestTraceBluezone: one F0 daily key reveals every later day of its
// holder; a per-slot publication, linked only by the linking attack,
// reveals a slot at a time when the signal jumps at each rotation.
func TestTraceBluezone(t *testing.T) {
	p, err := bluezone.New(bluezone.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	dev, err := p.DeviceFromDailyKey(make([]byte, 32), time.UnixMilli(t0))
	if err != nil {
		t.Fatal(err)
	}
	jumpy := func(day int64) []Record {
		var r []Record
		for slot := range 3 {
			from := hm(10, 0) + day*dayMs + int64(slot)*900_000
			r = stay(t, r, 0, dev, from, from+900_000, int8(-60-15*slot))
		}
		return r
	}
	recs := append(jumpy(0), jumpy(1)...)
	l := buildLog(t, 1, 12, 0, recs)
	keys := upload(t, dev, t0, t0+2*dayMs-1000)
	tr, err := Trace(l, lineSniffers(1), p, keys, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	kt := &tr.Keys[0]
	if tr.IDsRecomputed != 2*96 || kt.Sightings != len(recs) || kt.IDsHeard != 6 {
		t.Fatalf("%d IDs recomputed, %d of %d sightings, %d IDs heard", tr.IDsRecomputed, kt.Sightings, len(recs), kt.IDsHeard)
	}
	if kt.Minutes() != 24*60+45 {
		t.Errorf("the key reveals %v minutes, want a day and 45 minutes", kt.Minutes())
	}
	ln, err := Link(l, lineSniffers(1), p.Info(), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if sm, err := tr.SlotMinutes(kt, ln); err != nil || sm != 15 {
		t.Errorf("a per-slot publication reveals %v minutes (%v), want one 15-minute slot", sm, err)
	}
	// A steady signal lets the linking attack bridge the slots.
	steady := stay(t, nil, 0, dev, hm(10, 0), hm(10, 45), -70)
	l = buildLog(t, 1, 12, 0, steady)
	tr, _ = Trace(l, lineSniffers(1), p, keys, DefaultParams())
	ln, _ = Link(l, lineSniffers(1), p.Info(), DefaultParams())
	if sm, err := tr.SlotMinutes(&tr.Keys[0], ln); err != nil || sm != 45 {
		t.Errorf("bridged slots reveal %v minutes (%v), want 45", sm, err)
	}
	other := buildLog(t, 1, 12, 0, steady)
	ln2, _ := Link(other, lineSniffers(1), p.Info(), DefaultParams())
	if _, err := tr.SlotMinutes(&tr.Keys[0], ln2); err == nil {
		t.Error("SlotMinutes accepted a linking of another log")
	}
}

func TestTraceErrors(t *testing.T) {
	d := gaenPhone(t, 1)
	l := buildLog(t, 1, 16, 0, stay(t, nil, 0, d, hm(3, 0), hm(3, 1), -70))
	good := upload(t, d, hm(0, 0), hm(1, 0))
	bad := []tracing.PublishedKey{good[0], {Key: []byte{1, 2, 3}, Start: good[0].Start, End: good[0].End, Slots: 144}}
	for _, tc := range []struct {
		name  string
		proto tracing.Protocol
		keys  []tracing.PublishedKey
		want  string
	}{
		{"no protocol", nil, good, "no protocol"},
		{"bad key", gaen.Protocol{}, bad, "published key 1: gaen: published key is 3 bytes"},
		{"wrong protocol", bluezone.NewV1(), good, "the log holds 16-byte IDs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Trace(l, lineSniffers(1), tc.proto, tc.keys, DefaultParams()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Trace = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
