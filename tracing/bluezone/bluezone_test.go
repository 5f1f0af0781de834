package bluezone

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// The published vectors (protocols.md §1.2): the uploading phone's daily key
// for 2020-08-08 from a public capture of a real phone, 96 slots.
const (
	vecDailyKey = "4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084"
	vecNextKey  = "4814DD132F8E308694A55AC8319581EA33CADA16B80CDB7FE1191115B76B9224"
	vecStart    = 1596844800 // 2020-08-08 00:00 UTC
)

func mustKey(t testing.TB, s string) Key {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func idHex(id tracing.ID) string { return strings.ToUpper(id.Hex(IDLen)) }

func TestVectors(t *testing.T) {
	daily := mustKey(t, vecDailyKey)
	if got := strings.ToUpper(NextDailyKey(daily).String()); got != vecNextKey {
		t.Errorf("SHA256(DailyKey) = %s, want %s", got, vecNextKey)
	}
	p, err := New(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	dev, err := p.DeviceFromDailyKey(daily[:], time.Unix(vecStart, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2020, 8, 8, 0, 0, 0, 0, time.UTC), "29ABD013B41C90269332AB5D"},
		{time.Date(2020, 8, 8, 0, 14, 59, 999e6, time.UTC), "29ABD013B41C90269332AB5D"},
		{time.Date(2020, 8, 8, 0, 15, 0, 0, time.UTC), "E26B0FCB3A70A8892B38A074"},
		{time.Date(2020, 8, 9, 0, 0, 0, 0, time.UTC), "64C0D2707C49D2F0D5E3E348"},
		// The day is UTC whatever the zone t is written in.
		{time.Date(2020, 8, 9, 7, 0, 0, 0, time.FixedZone("ICT", 7*3600)), "64C0D2707C49D2F0D5E3E348"},
	} {
		id, err := dev.IDAt(tc.at)
		if err != nil {
			t.Fatalf("IDAt(%v): %v", tc.at, err)
		}
		if got := idHex(id); got != tc.want {
			t.Errorf("IDAt(%v) = %s, want %s", tc.at, got, tc.want)
		}
		if !bytes.Equal(id[IDLen:], make([]byte, tracing.MaxIDLen-IDLen)) {
			t.Errorf("IDAt(%v): bytes past %d not zero: %x", tc.at, IDLen, id)
		}
	}
	// The same vectors through the low-level functions.
	sub0 := FirstSubKey(daily)
	if got := idHex(IDFromSubKey(sub0)); got != "29ABD013B41C90269332AB5D" {
		t.Errorf("k=0 %s", got)
	}
	if got := idHex(IDFromSubKey(NextSubKey(sub0))); got != "E26B0FCB3A70A8892B38A074" {
		t.Errorf("k=1 %s", got)
	}
	// And through Expand of the published key.
	bs, err := p.Expand(nil, tracing.PublishedKey{Key: daily[:], Start: vecStart, End: vecStart + 86400, Slots: 96})
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 97 {
		t.Fatalf("Expand gave %d broadcasts, want 97 (96 + slot 0 of the next day, which starts at time_end)", len(bs))
	}
	for _, tc := range []struct {
		i    int
		want string
	}{{0, "29ABD013B41C90269332AB5D"}, {1, "E26B0FCB3A70A8892B38A074"}, {96, "64C0D2707C49D2F0D5E3E348"}} {
		if got := idHex(bs[tc.i].ID); got != tc.want {
			t.Errorf("Expand slot %d = %s, want %s", tc.i, got, tc.want)
		}
	}
}

func TestSlotsPerDay(t *testing.T) {
	for _, tc := range []struct {
		slots int
		ok    bool
		rot   time.Duration
	}{
		{96, true, 15 * time.Minute},
		{144, true, 10 * time.Minute},
		{1, true, 24 * time.Hour},
		{0, false, 0},
		{-96, false, 0},
		{7, false, 0},      // does not divide a day
		{86_401, false, 0}, // too many
	} {
		p, err := New(Params{SlotsPerDay: tc.slots})
		if (err == nil) != tc.ok {
			t.Errorf("New(%d): err %v, want ok=%v", tc.slots, err, tc.ok)
			continue
		}
		if err == nil && p.Info().Rotation != tc.rot {
			t.Errorf("slots %d: rotation %v, want %v", tc.slots, p.Info().Rotation, tc.rot)
		}
	}
}

// TestDeviceRatchet checks that a device made at its base day computes the
// same IDs for a later day as one made from that day's daily key, however
// the days are visited (the cache ratchets forward or restarts).
func TestDeviceRatchet(t *testing.T) {
	p, _ := New(Params{SlotsPerDay: 144})
	created := time.Date(2020, 5, 12, 13, 0, 0, 0, time.UTC)
	dev, err := p.NewBaseDevice(rand.NewChaCha8([32]byte{1}), created)
	if err != nil {
		t.Fatal(err)
	}
	base := dev.key
	for _, days := range []int64{0, 3, 1, 10, 10, 2} {
		day := dev.KeyDayNumber() + days
		later, err := p.DeviceFromDailyKey(func() []byte { k := DailyKeyAfter(base, days); return k[:] }(), DayStart(day))
		if err != nil {
			t.Fatal(err)
		}
		for _, slot := range []int{0, 1, 77, 143} {
			a, err1 := dev.SlotID(day, slot)
			b, err2 := later.SlotID(day, slot)
			if err1 != nil || err2 != nil || a != b {
				t.Fatalf("day +%d slot %d: %x (%v) vs %x (%v)", days, slot, a, err1, b, err2)
			}
		}
		// IDAt agrees with SlotID at the slot boundaries.
		id, err := dev.IDAt(DayStart(day).Add(77*10*time.Minute + time.Millisecond))
		want, _ := dev.SlotID(day, 77)
		if err != nil || id != want {
			t.Fatalf("IDAt mid-slot 77: %x %v, want %x", id, err, want)
		}
	}
}

func TestDeviceErrors(t *testing.T) {
	p, _ := New(DefaultParams())
	day := time.Date(2020, 8, 8, 0, 0, 0, 0, time.UTC)
	if _, err := p.DeviceFromDailyKey(make([]byte, 31), day); !errors.Is(err, tracing.ErrKeyLength) {
		t.Errorf("31-byte key: %v", err)
	}
	if _, err := p.NewBaseDevice(strings.NewReader("short"), day); err == nil {
		t.Errorf("short entropy: no error")
	}
	if _, err := p.NewBaseDevice(nil, day); err == nil {
		t.Errorf("nil entropy: no error")
	}
	dev, _ := p.DeviceFromDailyKey(make([]byte, 32), day)
	for _, tc := range []struct {
		name string
		f    func() error
	}{
		{"before the key's day", func() error { _, err := dev.IDAt(day.Add(-time.Millisecond)); return err }},
		{"slot -1", func() error { _, err := dev.SlotID(dev.KeyDayNumber(), -1); return err }},
		{"slot 96", func() error { _, err := dev.SlotID(dev.KeyDayNumber(), 96); return err }},
		{"far future", func() error { _, err := dev.IDAt(time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)); return err }},
		{"upload before key", func() error { _, err := dev.Upload(day.Add(-48*time.Hour), day.Add(-time.Second)); return err }},
		{"upload reversed", func() error { _, err := dev.Upload(day.Add(time.Hour), day); return err }},
		{"upload over a year", func() error { _, err := dev.Upload(day, day.AddDate(1, 1, 0)); return err }},
	} {
		if err := tc.f(); !errors.Is(err, tracing.ErrOutOfRange) {
			t.Errorf("%s: err %v, want ErrOutOfRange", tc.name, err)
		}
	}
}

func TestUpload(t *testing.T) {
	p, _ := New(DefaultParams())
	daily := mustKey(t, vecDailyKey)
	dev, _ := p.DeviceFromDailyKey(daily[:], time.Unix(vecStart, 0))
	now := time.Date(2020, 8, 30, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		from     time.Time
		wantKey  Key
		wantDay  int64
		wantDays int64
	}{
		// The key is newer than now-14d: upload the key itself.
		{"key newer", now.Add(-30 * 24 * time.Hour), daily, vecStart, 0},
		{"ratcheted", time.Date(2020, 8, 16, 23, 0, 0, 0, time.UTC), DailyKeyAfter(daily, 8), vecStart + 8*86400, 8},
	} {
		keys, err := dev.Upload(tc.from, now)
		if err != nil || len(keys) != 1 {
			t.Fatalf("%s: %v %v", tc.name, keys, err)
		}
		k := keys[0]
		if !bytes.Equal(k.Key, tc.wantKey[:]) || k.Start != tc.wantDay || k.End != now.Unix() || k.Slots != 96 {
			t.Errorf("%s: got %x start %d end %d slots %d", tc.name, k.Key, k.Start, k.End, k.Slots)
		}
		// The server can push it as a strict F0 entry.
		if _, err := F0EntryFromKey(k); err != nil {
			t.Errorf("%s: F0EntryFromKey: %v", tc.name, err)
		}
		// The uploaded key regenerates the device's own IDs.
		bs, err := p.Expand(nil, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs[:200] {
			want, err := dev.IDAtMilli(b.From)
			if err != nil || want != b.ID {
				t.Fatalf("%s slot %d: expanded %x, device %x (%v)", tc.name, b.Slot, b.ID, want, err)
			}
		}
	}
	info, err := dev.InfoF(now)
	if err != nil {
		t.Fatal(err)
	}
	want := InfoF{BaseID: strings.ToLower(vecDailyKey), Time: vecStart,
		DailyKey: DailyKeyAfter(daily, 8).String(), TimeStart: vecStart + 8*86400}
	if info != want {
		t.Errorf("InfoF = %+v, want %+v", info, want)
	}
}

func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{vecDailyKey, true},
		{strings.ToLower(vecDailyKey), true},
		{vecDailyKey[:62], false},
		{vecDailyKey + "00", false},
		{"zz" + vecDailyKey[2:], false},
		{"", false},
	} {
		k, err := ParseKey(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseKey(%q): %v", tc.in, err)
		}
		if err == nil && !strings.EqualFold(hex.EncodeToString(k[:]), tc.in) {
			t.Errorf("ParseKey(%q) = %x", tc.in, k)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add(vecDailyKey)
	f.Add("00")
	f.Add(strings.Repeat("g", 64))
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(k.String(), s) {
			t.Fatalf("ParseKey(%q) = %s", s, k)
		}
	})
}
