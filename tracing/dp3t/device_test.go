package dp3t

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

var day0 = time.Date(2020, 4, 10, 0, 0, 0, 0, time.UTC)

// seeded is a deterministic entropy stream for tests.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return rand.NewChaCha8(s)
}

func TestDeviceFromKey(t *testing.T) {
	sk1 := mustKey(t, vecSK1)
	dev, err := Default().DeviceFromKey(sk1[:], day0.Add(13*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := NewGenerator(96)
	for _, tc := range []struct {
		at   time.Time
		sk   Key
		slot int
	}{
		{day0, sk1, 0},
		{day0.Add(15*time.Minute - time.Millisecond), sk1, 0},
		{day0.Add(15 * time.Minute), sk1, 1},
		{day0.Add(24*time.Hour - time.Millisecond), sk1, 95},
		{day0.Add(24 * time.Hour), sk1.Next(), 0},
		{day0.Add(34*time.Hour + 20*time.Minute), sk1.Next(), 41},
		{day0.Add(10 * time.Hour), sk1, 40}, // back to an earlier day
		{day0.Add(30*24*time.Hour + 5*time.Minute), sk1.Ratchet(30), 0},
	} {
		got, err := dev.IDAt(tc.at)
		if err != nil {
			t.Fatalf("IDAt(%s): %v", tc.at, err)
		}
		g.Derive(&tc.sk)
		if want := g.InSlot(tc.slot); got != want {
			t.Errorf("IDAt(%s) = %x, want slot %d of its day, %x", tc.at, got[:16], tc.slot, want[:16])
		}
	}
	// The day's 96 slots broadcast exactly the 96 reference EphIDs.
	want, _ := EphIDs(sk1, 96)
	seen := map[tracing.ID]bool{}
	for s := range 96 {
		id, err := dev.IDAt(day0.Add(time.Duration(s) * 15 * time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		seen[id] = true
	}
	for k, id := range want {
		if !seen[id] {
			t.Errorf("EphID[%d] of SK1 is never broadcast on its day", k)
		}
	}
	for _, at := range []time.Time{day0.Add(-time.Millisecond), day0.Add((MaxDeviceDays + 1) * 24 * time.Hour)} {
		if _, err := dev.IDAt(at); !errors.Is(err, tracing.ErrOutOfRange) {
			t.Errorf("IDAt(%s) error %v, want ErrOutOfRange", at, err)
		}
	}
}

func TestNewDeviceAndRekey(t *testing.T) {
	p := Default()
	start := day0.Add(10*time.Hour + 7*time.Minute)
	a, err := p.NewDevice(seeded(1), start)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.NewDevice(seeded(1), start)
	c, _ := p.NewDevice(seeded(2), start)
	at := start.Add(26 * time.Hour)
	ia, _ := a.IDAt(at)
	ib, _ := b.IDAt(at)
	ic, _ := c.IDAt(at)
	if ia != ib || ia == ic {
		t.Errorf("same entropy gave %x and %x; other entropy %x", ia, ib, ic)
	}
	if _, err := a.IDAt(start.Add(-time.Second)); !errors.Is(err, tracing.ErrOutOfRange) {
		t.Errorf("IDAt before the first run: error %v, want ErrOutOfRange", err)
	}
	if _, err := a.IDAt(start); err != nil {
		t.Errorf("IDAt(start): %v", err)
	}
	if _, err := p.NewDevice(shortReader{}, start); err == nil {
		t.Error("NewDevice with 5 bytes of entropy succeeded")
	}

	dev := a.(*Device)
	rekeyAt := start.Add(50 * time.Hour)
	before, _ := dev.IDAt(rekeyAt)
	keys, err := dev.Upload(start, rekeyAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Rekey(seeded(9), rekeyAt); err != nil {
		t.Fatal(err)
	}
	after, err := dev.IDAt(rekeyAt)
	if err != nil || after == before {
		t.Errorf("after Rekey IDAt = %x, %v; before %x", after, err, before)
	}
	if _, err := dev.IDAt(rekeyAt.Add(-time.Minute)); !errors.Is(err, tracing.ErrOutOfRange) {
		t.Errorf("IDAt before Rekey: error %v, want ErrOutOfRange", err)
	}
	if _, err := dev.Upload(start, rekeyAt.Add(-time.Hour)); !errors.Is(err, tracing.ErrOutOfRange) {
		t.Errorf("Upload of forgotten keys: error %v, want ErrOutOfRange", err)
	}
	// The published key does not match what the re-keyed device broadcasts.
	store := []tracing.Sighting{{ID: after, Time: rekeyAt.UnixMilli()}, {ID: before, Time: rekeyAt.UnixMilli()}}
	m, err := p.Match(nil, keys, store)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m[0].Sighting != 1 {
		t.Errorf("matches %+v, want only the pre-Rekey sighting (1)", m)
	}
	if err := dev.Rekey(nil, rekeyAt); err == nil {
		t.Error("Rekey(nil) succeeded")
	}
}

type shortReader struct{}

func (shortReader) Read(p []byte) (int, error) {
	n := copy(p, []byte{1, 2, 3, 4, 5})
	if n == 0 {
		return 0, errors.New("eof")
	}
	return n, errors.New("eof")
}

func TestUpload(t *testing.T) {
	sk1 := mustKey(t, vecSK1)
	dev, _ := Default().NewDeviceFromSeed(sk1, day0)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		sk       Key
		start    time.Time
		end      int64
		wantErr  error
	}{
		{"first day", day0.Add(9 * time.Hour), day0.Add(20*time.Hour + 500*time.Millisecond), sk1, day0, day0.Add(20 * time.Hour).Unix(), nil},
		{"three days", day0.Add(26 * time.Hour), day0.Add(75 * time.Hour), sk1.Next(), day0.Add(24 * time.Hour), day0.Add(75 * time.Hour).Unix(), nil},
		{"before the device", day0.Add(-72 * time.Hour), day0.Add(5 * time.Hour), sk1, day0, day0.Add(5 * time.Hour).Unix(), nil},
		{"beyond retention", day0, day0.Add(40 * 24 * time.Hour), sk1.Ratchet(40 - RetentionDays + 1), day0.Add((40 - RetentionDays + 1) * 24 * time.Hour), day0.Add(40 * 24 * time.Hour).Unix(), nil},
		{"to before from", day0.Add(5 * time.Hour), day0.Add(4 * time.Hour), Key{}, time.Time{}, 0, nil},
		{"to before device", day0.Add(-5 * time.Hour), day0.Add(-4 * time.Hour), Key{}, time.Time{}, 0, tracing.ErrOutOfRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := dev.Upload(tc.from, tc.to)
			if tc.start.IsZero() {
				if err == nil {
					t.Fatalf("Upload = %+v, want an error", keys)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 {
				t.Fatalf("%d keys, want 1", len(keys))
			}
			k := keys[0]
			if Key(k.Key) != tc.sk || k.Start != tc.start.Unix() || k.End != tc.end || k.Slots != 96 {
				t.Errorf("key %x start %d end %d slots %d, want %s %d %d 96", k.Key, k.Start, k.End, k.Slots, tc.sk, tc.start.Unix(), tc.end)
			}
			if _, err := Default().Expand(nil, k); err != nil {
				t.Errorf("the uploaded key does not expand: %v", err)
			}
		})
	}
}

func TestIDAtDoesNotAllocate(t *testing.T) {
	dev, _ := Default().NewDeviceFromSeed(mustKey(t, vecSK1), day0)
	at := day0.Add(5 * time.Hour)
	if _, err := dev.IDAt(at); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		at = at.Add(time.Minute)
		if at.Hour() == 23 {
			at = day0.Add(5 * time.Hour)
		}
		if _, err := dev.IDAt(at); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("IDAt within a day allocates %.1f times per call", allocs)
	}
}
