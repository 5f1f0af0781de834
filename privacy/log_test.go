package privacy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/gaen"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var t0 = time.Date(2020, 8, 3, 0, 0, 0, 0, time.UTC).UnixMilli()

// gaenRecords are records of two real GAEN phones at three sniffers,
// with their AEMs.
func gaenRecords(t testing.TB) []Record {
	t.Helper()
	var out []Record
	for p := range 2 {
		tek := gaen.TEK{byte(p + 1)}
		dev, err := gaen.DeviceFromTEK(tek[:], time.UnixMilli(t0))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			at := t0 + int64(i)*600_000 + int64(p)*3_600_000
			id, aem, err := dev.AdvertAt(time.UnixMilli(at), dev.Metadata)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, Record{Sniffer: uint32((i + p) % 3), Time: at, ID: id, RSSI: int8(-60 - i - p), Meta: aem})
		}
	}
	// Two phones can be heard in the same window at the same sniffer.
	dup := out[0]
	dup.RSSI--
	return append(out, dup)
}

func buildLog(t testing.TB, sniffers, idLen, metaLen int, recs []Record) *Log {
	t.Helper()
	b, err := NewBuilder(sniffers, idLen, metaLen, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := b.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

func marshal(t testing.TB, l *Log) []byte {
	t.Helper()
	b, err := l.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLogCanonical: the same records added in any order, by one builder or
// merged from several, give the same log, byte for byte, in log order.
func TestLogCanonical(t *testing.T) {
	recs := gaenRecords(t)
	want := marshal(t, buildLog(t, 3, 16, 4, recs))
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 5 {
		shuffled := slices.Clone(recs)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		var got []byte
		if trial%2 == 0 {
			got = marshal(t, buildLog(t, 3, 16, 4, shuffled))
		} else {
			// Three workers, merged.
			var parts [3]*Builder
			for w := range parts {
				var err error
				if parts[w], err = NewBuilder(3, 16, 4, t0); err != nil {
					t.Fatal(err)
				}
			}
			for i, rec := range shuffled {
				if err := parts[i%3].Add(rec); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range parts[1:] {
				if err := parts[0].Merge(p); err != nil {
					t.Fatal(err)
				}
				if p.Len() != 0 {
					t.Fatalf("a merged builder still holds %d records", p.Len())
				}
			}
			got = marshal(t, parts[0].Build())
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("trial %d: a shuffled build differs from the first", trial)
		}
	}
	l := buildLog(t, 3, 16, 4, recs)
	if l.Len() != len(recs) || l.Sniffers() != 3 || l.Entries() != 24 {
		t.Fatalf("log of %d records, %d sniffers, %d entries; want %d, 3, 24", l.Len(), l.Sniffers(), l.Entries(), len(recs))
	}
	// Iteration gives back every record, in (sniffer, time, ID) order.
	var back []Record
	var prev Record
	for i, rec := range l.Records() {
		if i != len(back) {
			t.Fatalf("iteration index %d, want %d", i, len(back))
		}
		if i > 0 && (rec.Sniffer < prev.Sniffer || rec.Sniffer == prev.Sniffer && rec.Time < prev.Time) {
			t.Fatalf("record %d (%d, %d) after (%d, %d)", i, rec.Sniffer, rec.Time, prev.Sniffer, prev.Time)
		}
		if s := l.snifferOf(i); s != int(rec.Sniffer) {
			t.Fatalf("snifferOf(%d) = %d, want %d", i, s, rec.Sniffer)
		}
		back, prev = append(back, rec), rec
	}
	key := func(r Record) string { return fmt.Sprint(r) }
	a, b := slices.Clone(recs), back
	slices.SortFunc(a, func(x, y Record) int { return strings.Compare(key(x), key(y)) })
	slices.SortFunc(b, func(x, y Record) int { return strings.Compare(key(x), key(y)) })
	if !slices.Equal(a, b) {
		t.Fatal("the log's records differ from those added")
	}
	// Lookup finds each ID's entries and nothing else.
	for _, rec := range recs {
		lo, hi := l.Lookup(&rec.ID)
		if hi-lo != 1 {
			t.Fatalf("Lookup(%x) = [%d, %d), want one entry", rec.ID, lo, hi)
		}
		if id, meta := l.Entry(lo); id != rec.ID || meta != rec.Meta {
			t.Fatalf("entry %d is %x %x, want %x %x", lo, id, meta, rec.ID, rec.Meta)
		}
	}
	var absent tracing.ID
	if lo, hi := l.Lookup(&absent); lo != hi {
		t.Fatalf("Lookup of an unheard ID = [%d, %d)", lo, hi)
	}
}

// TestLogShortIDs: 6-byte Bluezone v1 IDs that collide are one entry; the
// bytes past the ID length are ignored.
func TestLogShortIDs(t *testing.T) {
	var a, b tracing.ID
	copy(a[:], "AbC123")
	b = a
	b[10] = 7 // garbage past IDLen
	l := buildLog(t, 2, 6, 0, []Record{{Sniffer: 0, Time: t0, ID: a, RSSI: -70, Meta: [4]byte{1}}, {Sniffer: 1, Time: t0 + 5, ID: b, RSSI: -80}})
	if l.Entries() != 1 {
		t.Fatalf("%d entries, want 1", l.Entries())
	}
	if lo, hi := l.Lookup(&b); hi-lo != 1 {
		t.Fatalf("Lookup = [%d, %d)", lo, hi)
	}
	if id, meta := l.Entry(0); id != a || meta != ([4]byte{}) {
		t.Fatalf("entry %x %x", id, meta)
	}
	one := buildLog(t, 1, 1, 0, []Record{{ID: tracing.ID{9, 9}, Time: t0}})
	if lo, hi := one.Lookup(&tracing.ID{9, 3}); hi-lo != 1 {
		t.Fatalf("a 1-byte ID log: Lookup = [%d, %d)", lo, hi)
	}
}

func TestBuilderErrors(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		sniffers, idLen, metaLen int
		base                     int64
		want                     string
	}{
		{"negative sniffers", -1, 16, 0, 0, "a log of -1 sniffers"},
		{"zero ID length", 1, 0, 0, 0, "ID length 0"},
		{"long IDs", 1, 17, 0, 0, "ID length 17"},
		{"odd metadata", 1, 16, 3, 0, "metadata length 3"},
		{"base at the end of time", 1, 16, 0, 1<<63 - 1, "leaves no room"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewBuilder(tc.sniffers, tc.idLen, tc.metaLen, tc.base)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewBuilder = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	b, _ := NewBuilder(2, 16, 0, t0)
	for _, tc := range []struct {
		r    Record
		want string
	}{
		{Record{Sniffer: 2, Time: t0}, "record of sniffer 2 in a log of 2 sniffers"},
		{Record{Time: t0 - 1}, "outside the log's span"},
		{Record{Time: t0 + MaxSpanMs + 1}, "outside the log's span"},
	} {
		if err := b.Add(tc.r); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Add(%+v) = %v, want %q", tc.r, err, tc.want)
		}
	}
	if err := b.Add(Record{Time: t0 + MaxSpanMs}); err != nil {
		t.Errorf("the last millisecond of the span: %v", err)
	}
	o, _ := NewBuilder(3, 16, 0, t0)
	if err := b.Merge(o); err == nil {
		t.Error("merging builders of different shapes succeeded")
	}
}

func TestRSSI(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want int8
	}{{-70.4, -70}, {-70.6, -71}, {-200, -128}, {300, 127}, {0, 0}} {
		if got := RSSI(tc.in); got != tc.want {
			t.Errorf("RSSI(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestLogFileGolden pins the file format.
func TestLogFileGolden(t *testing.T) {
	l := buildLog(t, 3, 16, 4, gaenRecords(t))
	got := marshal(t, l)
	path := filepath.Join("testdata", "gaen.sniff")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the log file changed (%d bytes, golden %d); if on purpose, run go test -update", len(got), len(want))
	}
	back, err := ReadLog(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if again := marshal(t, back); !bytes.Equal(again, want) {
		t.Fatal("the golden file does not re-encode to itself")
	}
	if n, err := l.WriteTo(failWriter{}); err == nil {
		t.Errorf("WriteTo a failing writer = %d, nil", n)
	}
	empty := buildLog(t, 0, 6, 0, nil)
	if back, err := DecodeLog(marshal(t, empty)); err != nil || back.Len() != 0 || back.Sniffers() != 0 {
		t.Errorf("an empty log round-trips to %v, %v", back, err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// resum rewrites a corrupted file's checksum, so that the decoder's other
// checks are reached.
func resum(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], crcTable))
	return b
}

func TestDecodeLogErrors(t *testing.T) {
	good := marshal(t, buildLog(t, 3, 16, 4, gaenRecords(t)))
	const dict = logHeaderLen
	entries := int(binary.LittleEndian.Uint32(good[24:]))
	records := int(binary.LittleEndian.Uint32(good[28:]))
	counts := dict + entries*20
	keys := counts + 3*4
	times := keys + records*4
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "shorter than the 36-byte header"},
		{"magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), "want the magic"},
		{"ID length", edit(func(b []byte) []byte { b[8] = 17; return resum(b) }), "byte 8 (ID length) is 17"},
		{"metadata length", edit(func(b []byte) []byte { b[9] = 2; return resum(b) }), "byte 9 (metadata length) is 2"},
		{"reserved", edit(func(b []byte) []byte { b[10] = 1; return resum(b) }), "bytes 10-11"},
		{"truncated", good[:len(good)-1], fmt.Sprintf("take %d bytes; the input has %d", len(good), len(good)-1)},
		{"huge header", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[28:], 1<<31); return b }), "records, which take"},
		{"base", edit(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[12:], 1<<63-1); return resum(b) }), "leaves no room"},
		{"dictionary order", edit(func(b []byte) []byte { copy(b[dict:dict+20], b[dict+20:dict+40]); return resum(b) }), "dictionary entry 1 (offset 52) is not after entry 0"},
		{"counts too large", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[counts:], uint32(records+1)); return resum(b) }), "add up to 26, more than the 25 records"},
		{"counts too small", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[counts:], 0); return resum(b) }), "add up to 16, want the 25 records"},
		{"key out of range", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[keys:], 99); return resum(b) }), fmt.Sprintf("record 0 (offset %d) names dictionary entry 99 of 24", keys)},
		{"unused entry", edit(func(b []byte) []byte {
			// One more dictionary entry, after all the others, that no
			// record names.
			b = slices.Insert(b, counts, bytes.Repeat([]byte{0xff}, 20)...)
			binary.LittleEndian.PutUint32(b[24:], uint32(entries+1))
			return resum(b)
		}), "dictionary entry 24 is used by no record"},
		{"time order", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[times:], 1<<30); return resum(b) }), "records 0 and 1 of sniffer 0 are out of order"},
		{"checksum", edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), "checksum"},
		{"content under the checksum", edit(func(b []byte) []byte { b[len(b)-5] ^= 1; return b }), "checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeLog(tc.in)
			if !errors.Is(err, ErrLogFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("DecodeLog = %v, want ErrLogFormat with %q", err, tc.want)
			}
		})
	}
}

// FuzzDecodeLog: any input is refused with ErrLogFormat or decodes to a
// log that encodes back to the same bytes and whose every accessor works.
func FuzzDecodeLog(f *testing.F) {
	f.Add(marshal(f, buildLog(f, 3, 16, 4, gaenRecords(f))))
	var v1 tracing.ID
	copy(v1[:], "aB3dE6")
	f.Add(marshal(f, buildLog(f, 2, 6, 0, []Record{{Sniffer: 1, Time: t0 + 10_000, ID: v1, RSSI: -77}})))
	f.Add(marshal(f, buildLog(f, 0, 12, 0, nil)))
	f.Add([]byte(logMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLog(b)
		if err != nil {
			if !errors.Is(err, ErrLogFormat) {
				t.Fatalf("error %v does not wrap ErrLogFormat", err)
			}
			return
		}
		if again := marshal(t, l); !bytes.Equal(again, b) {
			t.Fatalf("decoded log re-encodes to different bytes")
		}
		for i, r := range l.Records() {
			lo, hi := l.Lookup(&r.ID)
			if k := l.Key(i); k < lo || k >= hi {
				t.Fatalf("record %d's entry %d is not in Lookup's [%d, %d)", i, k, lo, hi)
			}
		}
	})
}
